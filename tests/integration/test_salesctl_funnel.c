/*  test_salesctl_funnel - `salesctl load funnel` and `salesctl funnels`
    end to end.

    Starts the harness's PostgreSQL (migrated, so reference_data of
    migrations/0003_funnels.sql exists) and runs the real salesctl binary
    against it, checking its stdout, stderr, exit status and the rows it
    leaves: a first load is version 1, the same definition again (however
    it is written) changes nothing, a changed one is version 2 stored in
    its canonical form, refused input writes nothing, and two loads of one
    name racing each other end as versions 1 and 2.

    The canonical texts below are what funnel_definition_to_json writes
    (its unit tests in tests/unit/funnel-tracker/ own that format; this
    program links only the library and the harness, not funnel-tracker's
    objects). Each test uses its own funnel names.
*/
#include <limits.h>
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

#define TEST_PARTITIONS 4          /* recorded in the test database */
#define TEST_RUN_TIMEOUT_MS 60000  /* one salesctl run (sanitizer builds are slow) */
#define TEST_WAIT_TIMEOUT_MS 30000 /* waiting for both racing loads to queue */
#define TEST_POLL_MS 20            /* between two looks at pg_stat_activity */
#define TEST_OUTPUT_SIZE 65536     /* room for a command's output */
#define TEST_TEXT_SIZE 1024        /* room for a query, a line */
#define TEST_NAME_SIZE 32          /* room for a funnel name of this file */
#define TEST_SUFFIX_SIZE 8         /* room for ".out" after a path */
#define TEST_RACERS 2              /* loads started together */
#define TEST_RACE_ROUNDS 3         /* races run, each on its own funnel name */

typedef struct {
    sp_harness_t *harness;         /* PostgreSQL + Redis for this file */
    sp_pg_t *pg;                   /* the test's own connection */
    char stderr_path[PATH_MAX];    /* last salesctl stderr */
    char output[TEST_OUTPUT_SIZE]; /* last salesctl stdout */
    char errors[TEST_OUTPUT_SIZE]; /* last salesctl stderr, read back */
} s_fixture_t;

/* deploy/funnels/default.json in canonical form: every default written,
   "probability": 0 of the lost step as 0.0. */
static const char s_default_canonical[] = "{\n"
                                          "  \"name\": \"default\",\n"
                                          "  \"entity\": \"opportunity_id\",\n"
                                          "  \"window_days\": 90,\n"
                                          "  \"mode\": \"pipeline\",\n"
                                          "  \"steps\": [\n"
                                          "    {\n"
                                          "      \"name\": \"lead\",\n"
                                          "      \"event\": \"lead_created\",\n"
                                          "      \"probability\": 0.05\n"
                                          "    },\n"
                                          "    {\n"
                                          "      \"name\": \"first_visit\",\n"
                                          "      \"event\": \"visit_completed\",\n"
                                          "      \"probability\": 0.1\n"
                                          "    },\n"
                                          "    {\n"
                                          "      \"name\": \"demo\",\n"
                                          "      \"event\": \"demo\",\n"
                                          "      \"probability\": 0.25\n"
                                          "    },\n"
                                          "    {\n"
                                          "      \"name\": \"quote\",\n"
                                          "      \"event\": \"quote_sent\",\n"
                                          "      \"probability\": 0.5\n"
                                          "    },\n"
                                          "    {\n"
                                          "      \"name\": \"won\",\n"
                                          "      \"event\": \"deal_won\",\n"
                                          "      \"outcome\": \"won\",\n"
                                          "      \"probability\": 1.0,\n"
                                          "      \"target\": {\n"
                                          "        \"conversion\": 0.25,\n"
                                          "        \"from\": \"lead\",\n"
                                          "        \"min_sample\": 20\n"
                                          "      }\n"
                                          "    },\n"
                                          "    {\n"
                                          "      \"name\": \"lost\",\n"
                                          "      \"event\": \"deal_lost\",\n"
                                          "      \"outcome\": \"lost\",\n"
                                          "      \"probability\": 0.0\n"
                                          "    }\n"
                                          "  ]\n"
                                          "}";

/* The default funnel again, compact, keys out of order, defaults left out
   and "from" as "first": the same definition. */
static const char s_default_rewritten[] =
    "{\"steps\":[{\"probability\":0.05,\"event\":\"lead_created\",\"name\":\"lead\"},"
    "{\"name\":\"first_visit\",\"event\":\"visit_completed\",\"probability\":0.10},"
    "{\"name\":\"demo\",\"event\":\"demo\",\"probability\":0.25},"
    "{\"name\":\"quote\",\"event\":\"quote_sent\",\"probability\":0.5},"
    "{\"name\":\"won\",\"event\":\"deal_won\",\"outcome\":\"won\",\"probability\":1,"
    "\"target\":{\"min_sample\":20,\"conversion\":0.25,\"from\":\"first\"}},"
    "{\"name\":\"lost\",\"event\":\"deal_lost\",\"outcome\":\"lost\",\"probability\":0}],"
    "\"name\":\"default\"}";

/* A changed default funnel: two steps, a 30-day window. */
static const char s_default_changed[] =
    "{\"steps\":[{\"probability\":0.1,\"event\":\"lead_created\",\"name\":\"lead\"},"
    "{\"name\":\"won\",\"event\":\"deal_won\",\"outcome\":\"won\",\"probability\":1}],"
    "\"name\":\"default\",\"window_days\":30}";

/* s_default_changed in canonical form. */
static const char s_default_changed_canonical[] = "{\n"
                                                  "  \"name\": \"default\",\n"
                                                  "  \"entity\": \"opportunity_id\",\n"
                                                  "  \"window_days\": 30,\n"
                                                  "  \"mode\": \"pipeline\",\n"
                                                  "  \"steps\": [\n"
                                                  "    {\n"
                                                  "      \"name\": \"lead\",\n"
                                                  "      \"event\": \"lead_created\",\n"
                                                  "      \"probability\": 0.1\n"
                                                  "    },\n"
                                                  "    {\n"
                                                  "      \"name\": \"won\",\n"
                                                  "      \"event\": \"deal_won\",\n"
                                                  "      \"outcome\": \"won\",\n"
                                                  "      \"probability\": 1.0\n"
                                                  "    }\n"
                                                  "  ]\n"
                                                  "}";

/* ---------------------------------------------------------------- helpers */

/* Writes text to "<harness dir>/<name>"; its path into path. */
static void
s_write_file (s_fixture_t *fixture, const char *name, const char *text, char *path, size_t size)
{
    snprintf (path, size, "%s/%s", sp_harness_dir (fixture->harness), name);
    FILE *stream = fopen (path, "w");
    assert_non_null (stream);
    assert_int_equal (fputs (text, stream) >= 0, 1);
    assert_int_equal (fclose (stream), 0);
}

/* Runs salesctl with arguments (NULL terminated); stdout and stderr land
   in the fixture. Returns its exit status. */
static int
s_salesctl (s_fixture_t *fixture, const char *const *arguments)
{
    int status = sp_harness_salesctl (fixture->harness, arguments, fixture->stderr_path,
                                      fixture->output, sizeof fixture->output, TEST_RUN_TIMEOUT_MS);
    assert_int_equal (
        sp_harness_read_file (fixture->stderr_path, fixture->errors, sizeof fixture->errors), 0);
    return status;
}

/* `salesctl load funnel PATH`; returns its exit status. */
static int
s_load (s_fixture_t *fixture, const char *path)
{
    return s_salesctl (fixture, (const char *const[]){ "load", "funnel", path, NULL });
}

/* Rows stored for funnel name. */
static int64_t
s_versions (s_fixture_t *fixture, const char *name)
{
    char sql[TEST_TEXT_SIZE];
    /* Names in this file are literals of [a-z0-9-], safe to quote inline. */
    snprintf (sql, sizeof sql,
              "SELECT count(*) FROM reference_data WHERE kind = 'funnel' AND name = '%s'", name);
    return sp_harness_pg_count (fixture->pg, sql);
}

/* The stored text of version of funnel name (the caller frees). */
static char *
s_definition (s_fixture_t *fixture, const char *name, int version)
{
    char version_text[TEST_TEXT_SIZE];
    snprintf (version_text, sizeof version_text, "%d", version);
    sp_pg_result_t *result =
        sp_pg_exec (fixture->pg,
                    "SELECT document, content_hash = sha256(convert_to(document, 'UTF8')) "
                    "FROM reference_data WHERE kind = 'funnel' AND name = $1 "
                    "AND version = $2::integer",
                    2, (const char *const[]){ name, version_text }, NULL, NULL);
    assert_true (sp_pg_result_ok (result));
    assert_int_equal (sp_pg_result_rows (result), 1);
    assert_string_equal (sp_pg_result_value (result, 0, 1), "t");
    char *text = strdup (sp_pg_result_value (result, 0, 0));
    assert_non_null (text);
    sp_pg_result_destroy (&result);
    return text;
}

/* ---------------------------------------------------------------- fixture */

static int
s_setup (void **state)
{
    s_fixture_t *fixture = calloc (1, sizeof *fixture);
    if (!fixture)
        return -1;
    *state = fixture;
    fixture->harness =
        sp_harness_pg_fixture ("test_salesctl_funnel", TEST_PARTITIONS, &fixture->pg);
    if (!fixture->harness)
        return -1;
    snprintf (fixture->stderr_path, sizeof fixture->stderr_path, "%s/salesctl.err",
              sp_harness_dir (fixture->harness));
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = *state;
    if (!fixture)
        return 0;
    sp_pg_destroy (&fixture->pg);
    sp_harness_destroy (&fixture->harness);
    free (fixture);
    return 0;
}

/* ---------------------------------------------------------------- tests */

/* The default funnel loads as version 1 in canonical form; loading it
   again, as shipped or rewritten, changes nothing; a changed definition
   is version 2, canonical; `funnels` shows the latest and the history. */
static void
test_load_versions (void **state)
{
    s_fixture_t *fixture = *state;
    char shipped[PATH_MAX];
    snprintf (shipped, sizeof shipped, "%s/deploy/funnels/default.json", sp_harness_source_dir ());

    assert_int_equal (s_load (fixture, shipped), 0);
    assert_string_equal (fixture->output, "funnel \"default\" loaded: version 1 (revision 1)\n");
    assert_string_equal (fixture->errors, "");
    char *stored = s_definition (fixture, "default", 1);
    assert_string_equal (stored, s_default_canonical);
    free (stored);

    assert_int_equal (s_load (fixture, shipped), 0);
    assert_string_equal (fixture->output, "funnel \"default\" unchanged: version 1 (revision 1)\n");
    char rewritten[PATH_MAX];
    s_write_file (fixture, "rewritten.json", s_default_rewritten, rewritten, sizeof rewritten);
    assert_int_equal (
        s_salesctl (fixture, (const char *const[]){ "load", "funnel", rewritten, "--json", NULL }),
        0);
    assert_string_equal (fixture->output,
                         "{\"kind\":\"funnel\",\"name\":\"default\",\"version\":1,\"revision\":1,"
                         "\"changed\":false,\"warnings\":[]}\n");
    assert_int_equal (s_versions (fixture, "default"), 1);

    char changed[PATH_MAX];
    s_write_file (fixture, "changed.json", s_default_changed, changed, sizeof changed);
    assert_int_equal (
        s_salesctl (fixture, (const char *const[]){ "load", "funnel", changed, "--json", NULL }),
        0);
    assert_string_equal (fixture->output,
                         "{\"kind\":\"funnel\",\"name\":\"default\",\"version\":2,\"revision\":2,"
                         "\"changed\":true,\"warnings\":[]}\n");
    assert_int_equal (s_versions (fixture, "default"), 2);
    stored = s_definition (fixture, "default", 2);
    assert_string_equal (stored, s_default_changed_canonical);
    free (stored);
    /* The canonical text itself reads back as the same definition. */
    char canonical[PATH_MAX];
    s_write_file (fixture, "canonical.json", s_default_changed_canonical, canonical,
                  sizeof canonical);
    assert_int_equal (s_load (fixture, canonical), 0);
    assert_string_equal (fixture->output, "funnel \"default\" unchanged: version 2 (revision 2)\n");
    assert_int_equal (s_versions (fixture, "default"), 2);

    /* The latest version of each funnel, as JSON. */
    assert_int_equal (s_salesctl (fixture, (const char *const[]){ "funnels", "--json", NULL }), 0);
    json_error_t error;
    json_t *row = json_loads (fixture->output, JSON_DISABLE_EOF_CHECK, &error);
    assert_non_null (row);
    assert_string_equal (json_string_value (json_object_get (row, "funnel")), "default");
    assert_int_equal (json_integer_value (json_object_get (row, "version")), 2);
    assert_string_equal (json_string_value (json_object_get (row, "mode")), "pipeline");
    assert_int_equal (json_integer_value (json_object_get (row, "steps")), 2);
    assert_int_equal (strlen (json_string_value (json_object_get (row, "sha256"))), 64);
    assert_non_null (json_string_value (json_object_get (row, "loaded_at")));
    json_decref (row);
    assert_non_null (strchr (fixture->output, '\n'));
    assert_string_equal (strchr (fixture->output, '\n'), "\n"); /* one funnel, one line */

    /* Every version of one funnel, oldest first. */
    assert_int_equal (
        s_salesctl (fixture, (const char *const[]){ "funnels", "--name", "default", NULL }), 0);
    const char *first = strstr (fixture->output, "default  version 1  pipeline  6 steps  loaded ");
    const char *second = strstr (fixture->output, "default  version 2  pipeline  2 steps  loaded ");
    assert_non_null (first);
    assert_non_null (second);
    assert_true (first < second);
    assert_non_null (strstr (fixture->output, "\n2 versions of funnel \"default\"\n"));
}

/* Refused input exits 1 with the reason and writes nothing. */
static void
test_load_refused (void **state)
{
    s_fixture_t *fixture = *state;
    char path[PATH_MAX];
    s_write_file (
        fixture, "refused.json",
        "{\"name\":\"refused\",\"steps\":[{\"name\":\"lead\",\"event\":\"lead_created\","
        "\"probability\":0.1},{\"name\":\"demo\",\"event\":\"demo\",\"probability\":1.5}]}",
        path, sizeof path);
    assert_int_equal (s_load (fixture, path), 1);
    assert_string_equal (fixture->output, "");
    char expected[PATH_MAX + TEST_TEXT_SIZE];
    snprintf (expected, sizeof expected,
              "salesctl load funnel: %s: field \"steps[1].probability\": 1.5 is not in 0..1\n",
              path);
    assert_string_equal (fixture->errors, expected);
    assert_int_equal (s_versions (fixture, "refused"), 0);

    char missing[PATH_MAX];
    snprintf (missing, sizeof missing, "%s/missing.json", sp_harness_dir (fixture->harness));
    assert_int_equal (s_load (fixture, missing), 1);
    snprintf (expected, sizeof expected,
              "salesctl load funnel: could not open file \"%s\": ", missing);
    assert_non_null (strstr (fixture->errors, expected));

    assert_int_equal (s_salesctl (fixture, (const char *const[]){ "load", "widget", path, NULL }),
                      1);
    assert_string_equal (
        fixture->errors,
        "salesctl load: unknown kind \"widget\": expected one of: funnel, org, customers, targets, "
        "scorecard, health, plans\n");
    assert_int_equal (s_salesctl (fixture, (const char *const[]){ "load", "funnel", NULL }), 1);
    assert_non_null (strstr (fixture->errors, "salesctl load: expected a kind and a file"));

    assert_int_equal (
        s_salesctl (fixture, (const char *const[]){ "funnels", "--name", "refused", NULL }), 1);
    assert_string_equal (fixture->errors,
                         "salesctl funnels: no funnel named \"refused\" is loaded\n");
    assert_int_equal (sp_harness_pg_count (fixture->pg, "SELECT count(*) FROM reference_data "
                                                        "WHERE name NOT IN ('default')"),
                      0);
}

/* Sessions of salesctl load waiting on a lock. */
static int64_t
s_waiting_loads (sp_pg_t *pg)
{
    return sp_harness_pg_count (pg, "SELECT count(*) FROM pg_stat_activity WHERE "
                                    "application_name = 'salesctl load funnel' AND "
                                    "wait_event_type = 'Lock'");
}

/* Two loads of different content for one new name, held at the door by
   a lock on the table until both wait, then let go together: one is
   version 1, the other version 2, neither fails. */
static void
test_load_concurrent (void **state)
{
    s_fixture_t *fixture = *state;
    sp_pg_t *observer = sp_pg_new (sp_harness_postgres_url (fixture->harness), "observer");
    assert_non_null (observer);
    assert_int_equal (sp_pg_connect (observer), 0);
    char program[PATH_MAX];
    sp_harness_program ("salesctl", program, sizeof program);
    for (int round = 0; round < TEST_RACE_ROUNDS; round++) {
        char name[TEST_NAME_SIZE];
        snprintf (name, sizeof name, "race-%d", round);
        pid_t pids[TEST_RACERS];
        char out_paths[TEST_RACERS][PATH_MAX + TEST_SUFFIX_SIZE];
        char err_paths[TEST_RACERS][PATH_MAX + TEST_SUFFIX_SIZE];
        assert_int_equal (sp_pg_begin (fixture->pg), 0);
        sp_pg_result_t *result = sp_pg_exec (
            fixture->pg, "LOCK TABLE reference_data IN ACCESS EXCLUSIVE MODE", 0, NULL, NULL, NULL);
        assert_true (sp_pg_result_ok (result));
        sp_pg_result_destroy (&result);
        for (int racer = 0; racer < TEST_RACERS; racer++) {
            char text[TEST_TEXT_SIZE], file[TEST_TEXT_SIZE], path[PATH_MAX];
            snprintf (text, sizeof text,
                      "{\"name\":\"%s\",\"window_days\":%d,\"steps\":[{\"name\":\"lead\","
                      "\"event\":\"lead_created\",\"probability\":0.1}]}",
                      name, racer + 1);
            snprintf (file, sizeof file, "race-%d-%d.json", round, racer);
            s_write_file (fixture, file, text, path, sizeof path);
            snprintf (out_paths[racer], sizeof out_paths[racer], "%s.out", path);
            snprintf (err_paths[racer], sizeof err_paths[racer], "%s.err", path);
            const char *const arguments[] = { "load", "funnel", path, "--json", NULL };
            sp_harness_spawn_options_t options = { .arguments = arguments,
                                                   .stdout_path = out_paths[racer],
                                                   .stderr_path = err_paths[racer],
                                                   .truncate = true };
            pids[racer] = sp_harness_spawn_with (fixture->harness, program, &options);
            assert_true (pids[racer] > 0);
        }
        int64_t deadline = sp_harness_now_ms () + TEST_WAIT_TIMEOUT_MS;
        while (s_waiting_loads (observer) < TEST_RACERS && sp_harness_now_ms () < deadline)
            sp_harness_pause_ms (TEST_POLL_MS);
        assert_int_equal (s_waiting_loads (observer), TEST_RACERS);
        assert_int_equal (sp_pg_rollback (fixture->pg), 0);

        bool seen[TEST_RACERS + 1] = { false };
        for (int racer = 0; racer < TEST_RACERS; racer++) {
            char output[TEST_TEXT_SIZE], errors[TEST_TEXT_SIZE];
            assert_int_equal (sp_harness_wait_exit (pids[racer], TEST_RUN_TIMEOUT_MS), 0);
            assert_int_equal (sp_harness_read_file (out_paths[racer], output, sizeof output), 0);
            assert_int_equal (sp_harness_read_file (err_paths[racer], errors, sizeof errors), 0);
            assert_string_equal (errors, "");
            json_error_t error;
            json_t *object = json_loads (output, 0, &error);
            assert_non_null (object);
            assert_string_equal (json_string_value (json_object_get (object, "name")), name);
            assert_true (json_is_true (json_object_get (object, "changed")));
            json_int_t version = json_integer_value (json_object_get (object, "version"));
            assert_true (version >= 1 && version <= TEST_RACERS);
            assert_false (seen[version]);
            seen[version] = true;
            json_decref (object);
        }
        assert_int_equal (s_versions (fixture, name), TEST_RACERS);
    }
    sp_pg_destroy (&observer);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_load_versions),
        cmocka_unit_test (test_load_refused),
        cmocka_unit_test (test_load_concurrent),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
