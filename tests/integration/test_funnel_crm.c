/*  test_funnel_crm - funnel-tracker's acceptance test on real data: the
    Maven Analytics CRM data set (deploy/demo/crm/) replayed through the
    real activity-ingest into the real funnel-tracker, and every figure of
    `salesctl funnel --funnel crm --json` compared with an SQL oracle
    computed straight from the CSV files (tests/integration/crm_oracle.sql),
    for every scope (company, each region, team and rep) and every period
    the oracle lists.

    The oracle shares no code with funnel-tracker: it is plain SQL over two
    tables this test fills with COPY from the CSV files as they are (CRLF
    line endings, blank cells). The events come from the demo converter
    (deploy/demo/crm/crm-events.sh) through `salesctl publish`, so the test
    also proves that every event of the data set is accepted.

    Order matters: funnel-tracker reads its funnels when it starts, so the
    funnel is loaded first (group setup); the tests then publish, wait
    until funnel-tracker has applied every event (`salesctl status`: every
    partition's checkpoint at its head, heads summing to the events
    published), and compare. Each wait polls with a deadline.

    Comparisons: integers exactly; ratios and means to 1e-9 (relative for
    means); medians exactly (percentile_cont(0.5) of integers is exact in
    a double). Every difference is printed as
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
#define TEST_START_TIMEOUT_MS 60000    /* activity-ingest, funnel-tracker */
#define TEST_STOP_TIMEOUT_MS 30000     /* a clean exit on SIGTERM */
#define TEST_RUN_TIMEOUT_MS 120000     /* one salesctl or converter run (sanitizer builds) */
#define TEST_APPLY_TIMEOUT_MS 300000   /* funnel-tracker applying the whole data set */
#define TEST_POLL_MS 200               /* between two looks at `salesctl status` */
#define TEST_OUTPUT_SIZE (1024 * 1024) /* room for a command's output */
#define TEST_TEXT_SIZE 512             /* room for a setting, a message */
#define TEST_RATIO_TOLERANCE 1e-9      /* ratios, absolute; means, relative */
#define TEST_MS_PER_DAY 86400000.0     /* for the median in days */

/* The data set's facts (deploy/demo/crm/README.md). */
#define TEST_OPPORTUNITIES 8800
#define TEST_ENGAGED 8300 /* rows with an engage_date */
#define TEST_WON 4238
#define TEST_LOST 2473
#define TEST_EVENTS (TEST_OPPORTUNITIES + TEST_ENGAGED + TEST_WON + TEST_LOST)
#define TEST_WON_AMOUNT_MINOR INT64_C (1000553400) /* 10,005,534 USD in cents */
#define TEST_SCOPES (1 + 3 + 6 + 30) /* company, offices, managers, agents with deals */
#define TEST_PERIODS 5               /* periods crm_oracle.sql lists */

/* The funnel's steps, in order (deploy/demo/crm-funnel.json). */
enum { TEST_STEP_LEAD, TEST_STEP_ENGAGING, TEST_STEP_WON, TEST_STEP_LOST, TEST_STEPS };
static const char *const s_step_names[TEST_STEPS] = { "lead", "engaging", "won", "lost" };

typedef struct {
    sp_harness_consumer_stack_t *stack; /* servers, connections, activity-ingest */
    pid_t tracker;                      /* the running funnel-tracker */
    int http_port;                      /* its /healthz and /metrics */
    char tracker_log[PATH_MAX];         /* its log */
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

/* ---------------------------------------------------------------- waiting */

/* True when `salesctl status --service funnel-tracker --json` shows every
   partition's checkpoint at its head and the heads summing to events. */
static bool
s_tracker_caught_up (s_fixture_t *fixture, int64_t events)
{
    if (s_salesctl (fixture, (const char *const[]){ "status", "--service", "funnel-tracker",
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

/* Compares the number at value with expected, or null when !expected_set:
   within tolerance (times max(1, |expected|) when relative; 0 = exactly). */
static void
s_check_number (s_compare_t *compare, const char *field, const json_t *value, bool expected_set,
                double expected, double tolerance, bool relative)
{
    if (!expected_set && json_is_null (value))
        return;
    if (expected_set && json_is_number (value)) {
        double got = json_number_value (value);
        double limit = relative ? tolerance * fmax (1.0, fabs (expected)) : tolerance;
        if (fabs (got - expected) <= limit)
            return;
    }
    char expected_text[TEST_TEXT_SIZE];
    if (expected_set)
        snprintf (expected_text, sizeof expected_text, "%.17g", expected);
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

/* An oracle column by name: a double, or unset when NULL. */
static bool
s_oracle_number (const sp_pg_result_t *result, int row, const char *name, double *value)
{
    int column = sp_pg_result_column (result, name);
    assert_true (column >= 0);
    if (sp_pg_result_is_null (result, row, column))
        return false;
    char *end = NULL;
    *value = strtod (sp_pg_result_value (result, row, column), &end);
    assert_true (end && *end == '\0');
    return true;
}

/* a / b, unset when b is 0. */
static bool
s_ratio (int64_t a, int64_t b, double *value)
{
    if (b == 0)
        return false;
    *value = (double) a / (double) b;
    return true;
}

/* Compares one step of the report with the oracle's counts: reached,
   conversions and drop-off by the step roles of a pipeline funnel (lead →
   engaging → won; lost after engaging; won and lost terminal). */
static void
s_check_step (s_compare_t *compare, const json_t *steps, int step, const int64_t *reached,
              const sp_pg_result_t *oracle, int row)
{
    static const int previous[TEST_STEPS] = { -1, TEST_STEP_LEAD, TEST_STEP_ENGAGING,
                                              TEST_STEP_ENGAGING };
    static const int next[TEST_STEPS] = { TEST_STEP_ENGAGING, TEST_STEP_WON, -1, -1 };
    /* Oracle columns of the time from the previous step, by step. */
    static const char *const mean_column[TEST_STEPS] = { NULL, "engaging_mean_ms",
                                                         "won_step_mean_ms", "lost_step_mean_ms" };
    static const char *const median_column[TEST_STEPS] = { NULL, "engaging_median_ms",
                                                           "won_step_median_ms",
                                                           "lost_step_median_ms" };
    const json_t *line = json_array_get (steps, (size_t) step);
    char field[TEST_TEXT_SIZE];
    const char *name = s_step_names[step];

    snprintf (field, sizeof field, "steps[%d].name", step);
    const json_t *step_name = json_object_get (line, "name");
    if (!json_is_string (step_name) || strcmp (json_string_value (step_name), name) != 0) {
        char *got = s_json_text (step_name);
        s_differ (compare, field, name, got ? got : "?");
        free (got);
        return;
    }
    snprintf (field, sizeof field, "%s.step", name);
    s_check_integer (compare, field, json_object_get (line, "step"), step + 1);
    snprintf (field, sizeof field, "%s.reached", name);
    s_check_integer (compare, field, json_object_get (line, "reached"), reached[step]);

    double expected = 0;
    bool set = previous[step] >= 0 && s_ratio (reached[step], reached[previous[step]], &expected);
    snprintf (field, sizeof field, "%s.step_conversion", name);
    s_check_number (compare, field, json_object_get (line, "step_conversion"), set, expected,
                    TEST_RATIO_TOLERANCE, false);
    set = s_ratio (reached[step], reached[TEST_STEP_LEAD], &expected);
    snprintf (field, sizeof field, "%s.overall_conversion", name);
    s_check_number (compare, field, json_object_get (line, "overall_conversion"), set, expected,
                    TEST_RATIO_TOLERANCE, false);

    snprintf (field, sizeof field, "%s.drop_off", name);
    if (next[step] < 0) {
        s_check_number (compare, field, json_object_get (line, "drop_off"), false, 0, 0, false);
        snprintf (field, sizeof field, "%s.drop_off_rate", name);
        s_check_number (compare, field, json_object_get (line, "drop_off_rate"), false, 0, 0,
                        false);
    }
    else {
        int64_t drop_off = reached[step] - reached[next[step]];
        s_check_integer (compare, field, json_object_get (line, "drop_off"), drop_off);
        set = s_ratio (drop_off, reached[step], &expected);
        snprintf (field, sizeof field, "%s.drop_off_rate", name);
        s_check_number (compare, field, json_object_get (line, "drop_off_rate"), set, expected,
                        TEST_RATIO_TOLERANCE, false);
    }

    const json_t *time = json_object_get (line, "time_from_previous");
    snprintf (field, sizeof field, "%s.time_from_previous", name);
    if (step == TEST_STEP_LEAD) {
        s_check_number (compare, field, time, false, 0, 0, false);
        return;
    }
    if (!json_is_object (time)) {
        char *got = s_json_text (time);
        s_differ (compare, field, "an object", got ? got : "?");
        free (got);
        return;
    }
    snprintf (field, sizeof field, "%s.time_from_previous.count", name);
    s_check_integer (compare, field, json_object_get (time, "count"), reached[step]);
    set = s_oracle_number (oracle, row, mean_column[step], &expected);
    snprintf (field, sizeof field, "%s.time_from_previous.mean_ms", name);
    s_check_number (compare, field, json_object_get (time, "mean_ms"), set, expected,
                    TEST_RATIO_TOLERANCE, true);
    set = s_oracle_number (oracle, row, median_column[step], &expected);
    snprintf (field, sizeof field, "%s.time_from_previous.median_ms", name);
    s_check_number (compare, field, json_object_get (time, "median_ms"), set, expected, 0, false);
}

/* Compares the outcome figures with the oracle row. */
static void
s_check_outcome (s_compare_t *compare, const json_t *outcome, const sp_pg_result_t *oracle, int row)
{
    if (!json_is_object (outcome)) {
        s_differ (compare, "outcome", "an object", "none");
        return;
    }
    int64_t won = s_oracle_integer (oracle, row, "won");
    double expected = 0;
    s_check_integer (compare, "outcome.won", json_object_get (outcome, "won"), won);
    s_check_integer (compare, "outcome.lost", json_object_get (outcome, "lost"),
                     s_oracle_integer (oracle, row, "lost"));
    bool set = s_oracle_number (oracle, row, "win_rate", &expected);
    s_check_number (compare, "outcome.win_rate", json_object_get (outcome, "win_rate"), set,
                    expected, TEST_RATIO_TOLERANCE, false);

    const json_t *amount = json_object_get (outcome, "won_amount");
    s_check_integer (compare, "outcome.won_amount.count", json_object_get (amount, "count"), won);
    s_check_integer (compare, "outcome.won_amount.sum", json_object_get (amount, "sum"),
                     s_oracle_integer (oracle, row, "won_amount_sum"));
    set = s_oracle_number (oracle, row, "won_amount_mean", &expected);
    s_check_number (compare, "outcome.won_amount.mean", json_object_get (amount, "mean"), set,
                    expected, TEST_RATIO_TOLERANCE, true);
    set = s_oracle_number (oracle, row, "won_amount_median", &expected);
    s_check_number (compare, "outcome.won_amount.median", json_object_get (amount, "median"), set,
                    expected, 0, false);
    s_check_integer (compare, "outcome.won_other_currency",
                     json_object_get (outcome, "won_other_currency"), 0);

    const json_t *cycle = json_object_get (outcome, "sales_cycle");
    s_check_integer (compare, "outcome.sales_cycle.count", json_object_get (cycle, "count"), won);
    set = s_oracle_number (oracle, row, "cycle_mean_ms", &expected);
    s_check_number (compare, "outcome.sales_cycle.mean_ms", json_object_get (cycle, "mean_ms"), set,
                    expected, TEST_RATIO_TOLERANCE, true);
    set = s_oracle_number (oracle, row, "cycle_median_ms", &expected);
    s_check_number (compare, "outcome.sales_cycle.median_ms", json_object_get (cycle, "median_ms"),
                    set, expected, 0, false);
    s_check_number (compare, "outcome.sales_cycle.median_days",
                    json_object_get (cycle, "median_days"), set, expected / TEST_MS_PER_DAY,
                    TEST_RATIO_TOLERANCE, true);
}

/* Compares `salesctl funnel` for the oracle's row with it; returns the
   differences found (each printed). */
static int
s_compare_row (s_fixture_t *fixture, const sp_pg_result_t *oracle, int row)
{
    s_compare_t compare = {
        .scope = sp_pg_result_value (oracle, row, sp_pg_result_column (oracle, "scope")),
        .period = sp_pg_result_value (oracle, row, sp_pg_result_column (oracle, "period")),
    };
    int status = s_salesctl (fixture, (const char *const[]){ "funnel", "--funnel", "crm", "--scope",
                                                             compare.scope, "--period",
                                                             compare.period, "--json", NULL });
    if (status != 0) {
        s_differ (&compare, "exit status", "0", "non-zero (see above)");
        return compare.differences;
    }
    json_t *report = s_last_line_json (fixture->output);
    s_check_string (&compare, report, "funnel", "crm");
    s_check_string (&compare, report, "mode", "pipeline");
    s_check_string (&compare, report, "scope", compare.scope);
    s_check_string (&compare, report, "period", compare.period);
    s_check_string (&compare, report, "currency", "USD");
    s_check_string (&compare, report, "time_zone", "UTC");

    static const char *const reached_column[TEST_STEPS] = { "reached_lead", "reached_engaging",
                                                            "reached_won", "reached_lost" };
    int64_t reached[TEST_STEPS];
    for (int step = 0; step < TEST_STEPS; step++)
        reached[step] = s_oracle_integer (oracle, row, reached_column[step]);
    const json_t *steps = json_object_get (report, "steps");
    if (json_array_size (steps) != TEST_STEPS) {
        char *got = s_json_text (steps);
        s_differ (&compare, "steps", "4 steps", got ? got : "?");
        free (got);
    }
    else
        for (int step = 0; step < TEST_STEPS; step++)
            s_check_step (&compare, steps, step, reached, oracle, row);
    s_check_outcome (&compare, json_object_get (report, "outcome"), oracle, row);
    json_decref (report);
    return compare.differences;
}

/* ---------------------------------------------------------------- fixture */

/* Starts the built funnel-tracker on the stack's bus, in UTC and USD. */
static int
s_start_tracker (s_fixture_t *fixture)
{
    const sp_harness_t *harness = fixture->stack->harness;
    char program[PATH_MAX], bus[TEST_TEXT_SIZE], http[TEST_TEXT_SIZE], partitions[TEST_TEXT_SIZE],
        notices[TEST_TEXT_SIZE], endpoint[SP_HARNESS_CONSUMER_ENDPOINT_SIZE];
    sp_harness_program ("funnel-tracker", program, sizeof program);
    fixture->http_port = sp_harness_free_port ();
    if (fixture->http_port <= 0 || sp_harness_free_endpoint (endpoint, sizeof endpoint) != 0)
        return -1;
    /* Its notices PUB socket on a free port too, never the default one. */
    snprintf (notices, sizeof notices, "SP_FUNNEL_NOTICES_ENDPOINT=%s", endpoint);
    snprintf (bus, sizeof bus, "SP_BUS_ENDPOINT=%s", fixture->stack->bus);
    snprintf (http, sizeof http, "SP_HTTP=127.0.0.1:%d", fixture->http_port);
    snprintf (partitions, sizeof partitions, "SP_PARTITIONS=%d", TEST_PARTITIONS);
    snprintf (fixture->tracker_log, sizeof fixture->tracker_log, "%s/funnel-tracker.log",
              sp_harness_dir (harness));
    const char *settings[] = { bus, http, partitions, notices, "SP_TIME_ZONE=UTC", NULL };
    const char *arguments[] = { "--time-zone", "UTC", "--currency", "USD", NULL };
    sp_harness_spawn_options_t options = { .settings = settings,
                                           .arguments = arguments,
                                           .stdout_path = fixture->tracker_log };
    fixture->tracker = sp_harness_spawn_with (harness, program, &options);
    if (fixture->tracker <= 0)
        return -1;
    char body[TEST_TEXT_SIZE * 8];
    if (sp_harness_wait_http (fixture->tracker, fixture->http_port, "/metrics",
                              "salespulse_consumer_partition_owned", body, sizeof body,
                              TEST_START_TIMEOUT_MS) != 0) {
        fprintf (stderr, "test_funnel_crm: funnel-tracker did not start (log %s)\n",
                 fixture->tracker_log);
        fixture->tracker = 0;
        return -1;
    }
    return 0;
}

/* The stack; funnel "crm" loaded, then funnel-tracker started (it reads
   its funnels at start); the CSV files in tables crm_pipeline and
   crm_teams for the oracle. */
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
    fixture->stack = sp_harness_consumer_stack_new ("test_funnel_crm", TEST_PARTITIONS, 0,
                                                    TEST_START_TIMEOUT_MS);
    if (!fixture->stack)
        return -1;
    const char *dir = sp_harness_dir (fixture->stack->harness);
    snprintf (fixture->stderr_path, sizeof fixture->stderr_path, "%s/salesctl.err", dir);
    snprintf (fixture->events_path, sizeof fixture->events_path, "%s/crm-events.jsonl", dir);

    char funnel[PATH_MAX];
    s_source_path ("deploy/demo/crm-funnel.json", funnel, sizeof funnel);
    if (s_salesctl (fixture, (const char *const[]){ "load", "funnel", funnel, NULL }) != 0)
        return -1;
    return s_start_tracker (fixture);
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = *state;
    if (!fixture)
        return 0;
    int rc = 0;
    if (fixture->tracker > 0 && sp_harness_stop (fixture->tracker, TEST_STOP_TIMEOUT_MS) != 0) {
        fprintf (stderr, "test_funnel_crm: funnel-tracker did not exit cleanly (log %s)\n",
                 fixture->tracker_log);
        rc = -1;
    }
    sp_harness_consumer_stack_destroy (&fixture->stack);
    free (fixture->output);
    free (fixture->errors);
    free (fixture);
    return rc;
}

/* ---------------------------------------------------------------- tests */

/* The converter turns the data set into 23,811 events, activity-ingest
   accepts every one, and the log holds them by type as the mapping says. */
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

    sp_pg_t *pg = fixture->stack->pg;
    assert_int_equal (sp_harness_pg_count (pg, "SELECT count(*) FROM events"), TEST_EVENTS);
    assert_int_equal (
        sp_harness_pg_count (pg, "SELECT count(*) FROM events WHERE type = 'lead_created'"),
        TEST_OPPORTUNITIES);
    assert_int_equal (
        sp_harness_pg_count (pg, "SELECT count(*) FROM events WHERE type = 'stage_changed'"),
        TEST_ENGAGED);
    assert_int_equal (
        sp_harness_pg_count (pg, "SELECT count(*) FROM events WHERE type = 'deal_won'"), TEST_WON);
    assert_int_equal (
        sp_harness_pg_count (pg, "SELECT count(*) FROM events WHERE type = 'deal_lost'"),
        TEST_LOST);
    /* One opportunity, one partition: blank accounts fall back to the opportunity. */
    assert_int_equal (sp_harness_pg_count (pg, "SELECT count(*) FROM (SELECT opportunity_id "
                                               "FROM events GROUP BY 1 "
                                               "HAVING count(DISTINCT partition) > 1) split"),
                      0);
    assert_int_equal (sp_harness_pg_count (pg, "SELECT count(DISTINCT opportunity_id) FROM events"),
                      TEST_OPPORTUNITIES);
}

/* funnel-tracker applies every event, quarantining none. */
static void
test_funnel_tracker_applies_every_event (void **state)
{
    s_fixture_t *fixture = *state;
    int64_t deadline = sp_harness_now_ms () + TEST_APPLY_TIMEOUT_MS;
    bool caught_up = false;
    while (!(caught_up = s_tracker_caught_up (fixture, TEST_EVENTS)) &&
           sp_harness_now_ms () < deadline)
        sp_harness_pause_ms (TEST_POLL_MS);
    if (!caught_up)
        print_message ("funnel-tracker did not catch up in %d ms: %s (log %s)\n",
                       TEST_APPLY_TIMEOUT_MS, fixture->output, fixture->tracker_log);
    assert_true (caught_up);
    assert_int_equal (
        sp_harness_pg_count (fixture->stack->pg, "SELECT count(*) FROM quarantined_events"), 0);
}

/* The data set's own totals, quirks included: Prospecting leads without
   dates still count, GTXPro deals are not lost to the product spelling,
   Lost rows' zero values add nothing to the won amount. */
static void
test_company_totals_match_the_data_set (void **state)
{
    s_fixture_t *fixture = *state;
    assert_int_equal (
        s_salesctl (fixture, (const char *const[]){ "funnel", "--funnel", "crm", "--scope",
                                                    "company", "--period", "all", "--json", NULL }),
        0);
    json_t *report = s_last_line_json (fixture->output);
    const json_t *steps = json_object_get (report, "steps");
    assert_int_equal (json_array_size (steps), TEST_STEPS);
    assert_int_equal (s_integer (json_array_get (steps, TEST_STEP_LEAD), "reached"),
                      TEST_OPPORTUNITIES);
    assert_int_equal (s_integer (json_array_get (steps, TEST_STEP_ENGAGING), "reached"),
                      TEST_ENGAGED);
    assert_int_equal (s_integer (json_array_get (steps, TEST_STEP_WON), "reached"), TEST_WON);
    assert_int_equal (s_integer (json_array_get (steps, TEST_STEP_LOST), "reached"), TEST_LOST);
    const json_t *outcome = json_object_get (report, "outcome");
    assert_int_equal (s_integer (outcome, "won"), TEST_WON);
    assert_int_equal (s_integer (outcome, "lost"), TEST_LOST);
    const json_t *amount = json_object_get (outcome, "won_amount");
    assert_int_equal (s_integer (amount, "count"), TEST_WON);
    assert_int_equal (s_integer (amount, "sum"), TEST_WON_AMOUNT_MINOR);
    assert_int_equal (s_integer (outcome, "won_other_currency"), 0);
    json_decref (report);
}

/* Every scope and period of the oracle, every figure. */
static void
test_every_scope_and_period_matches_the_oracle (void **state)
{
    s_fixture_t *fixture = *state;
    sp_pg_t *pg = fixture->stack->pg;
    s_exec (pg, "DROP TABLE IF EXISTS crm_pipeline, crm_teams");
    s_exec (pg, "CREATE TABLE crm_pipeline (opportunity_id text, sales_agent text, product text, "
                "account text, deal_stage text, engage_date date, close_date date, "
                "close_value bigint)");
    s_exec (pg, "CREATE TABLE crm_teams (sales_agent text, manager text, regional_office text)");
    assert_int_equal (s_copy_csv (pg, "crm_pipeline", "sales_pipeline.csv"), TEST_OPPORTUNITIES);
    assert_int_equal (s_copy_csv (pg, "crm_teams", "sales_teams.csv"), 35);

    char path[PATH_MAX];
    s_source_path ("tests/integration/crm_oracle.sql", path, sizeof path);
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

    int differences = 0;
    for (int row = 0; row < sp_pg_result_rows (oracle); row++)
        differences += s_compare_row (fixture, oracle, row);
    print_message ("%d rows compared, %d differences\n", sp_pg_result_rows (oracle), differences);
    sp_pg_result_destroy (&oracle);
    assert_int_equal (differences, 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_crm_events_are_all_accepted),
        cmocka_unit_test (test_funnel_tracker_applies_every_event),
        cmocka_unit_test (test_company_totals_match_the_data_set),
        cmocka_unit_test (test_every_scope_and_period_matches_the_oracle),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
