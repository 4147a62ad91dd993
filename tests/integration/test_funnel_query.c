/*  test_funnel_query - `salesctl funnel` and `salesctl pipeline` read
    funnel-tracker's partials back from a real Redis.

    The state is written here directly, key by key, as funnel_keys.h
    spells it (this program links only the library and the harness, so
    the keys are literals: a second, independent spelling of the
    contract): two partitions' month hashes, sorted sets and open
    hashes of the default funnel, and the "funnel-tracker:config" hash
    with the default funnel's canonical definition as `salesctl load
    funnel` stored it in PostgreSQL (funnel_definition_to_json). Then the
    real salesctl runs and its JSON is compared exactly: sums across
    partitions, medians across partitions and months (odd, even, with
    duplicates and zeros), period selection, scopes, the completeness
    mark (the log is empty: complete), and the refusals
    (unknown funnel, bad scope, bad period, a sequence funnel's pipeline).

    The state (default funnel: lead, first_visit, demo, quote, won, lost;
    D = one day in ms, H = one hour):
      p0 2017-04  reached 4 3 2 2 1 1; durations into step 2 {1D, 2D, 4D},
                  3 {1H, 3H}, 4 {0, 0}, 5 {10D}, 6 {5D}; won 1 (100000,
                  cycle 20D), lost 1
      p1 2017-04  reached 1 1; duration into step 2 {2D}
      p1 2017-05  reached 2 1 1 1 1 0; durations 2 {3D}, 3 {2H}, 4 {1H},
                  5 {6D}; won 3: two in USD (40000, 61000), one in
                  another currency; cycles {30D, 10D, 12D}
      p0 2017-07  reached 1
      region:Central, p0 2017-04: reached 1
      open: p0 lead 2 (20000), demo 1 (30001); p1 lead 1 (10001), quote
            1 (50000, and one in another currency)
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
#include "sp_harness_redis.h"
#include "sp_pg.h"
#include "sp_redis.h"

#define TEST_PARTITIONS 2         /* recorded in the test database */
#define TEST_RUN_TIMEOUT_MS 60000 /* one salesctl run (sanitizer builds are slow) */
#define TEST_OUTPUT_SIZE 65536    /* room for a command's output */
#define TEST_ARGS_MAX 24          /* a Redis command of this file */

#define K0 "funnel-tracker:{p0}:"
#define K1 "funnel-tracker:{p1}:"
#define D "86400000"
/* The log is empty (the state is written here, not applied from events):
   every partition is complete (sp_completeness.h). */
#define COMPLETE_EMPTY                                                                             \
    "{\"service\":\"funnel-tracker\",\"complete\":true,\"events\":0,\"applied\":0,"                \
    "\"rebuilding\":false,\"partition_count\":2,\"incomplete\":0,\"partitions\":["                 \
    "{\"partition\":0,\"checkpoint\":null,\"head\":0,\"state\":\"complete\"},"                     \
    "{\"partition\":1,\"checkpoint\":null,\"head\":0,\"state\":\"complete\"}]}"
#define H "3600000"

typedef struct {
    sp_harness_t *harness;         /* PostgreSQL + Redis for this file */
    sp_redis_t *redis;             /* the test's own connection */
    char stderr_path[PATH_MAX];    /* last salesctl stderr */
    char output[TEST_OUTPUT_SIZE]; /* last salesctl stdout */
    char errors[TEST_OUTPUT_SIZE]; /* last salesctl stderr, read back */
} s_fixture_t;

/* A pipeline funnel and a sequence funnel also counted, as any JSON the
   service stored (not necessarily canonical). */
static const char s_crm_json[] =
    "{\"name\": \"crm\", \"window_days\": 365, \"steps\": ["
    "{\"name\": \"lead\", \"event\": \"lead_created\", \"probability\": 0.1},"
    "{\"name\": \"won\", \"event\": \"deal_won\", \"outcome\": \"won\", \"probability\": 1}]}";
static const char s_path_json[] = "{\"name\": \"path\", \"mode\": \"sequence\", \"steps\": ["
                                  "{\"name\": \"lead\", \"event\": \"lead_created\"},"
                                  "{\"name\": \"demo\", \"event\": \"demo\"}]}";

/* Runs a Redis command of C strings (NULL terminated list). */
static void
s_redis (s_fixture_t *fixture, const char *const *argv)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    assert_true (argc <= TEST_ARGS_MAX);
    assert_int_equal (sp_harness_redis_run_and_drop (fixture->redis, argc, argv), 0);
}

#define REDIS(...) s_redis (fixture, (const char *const[]){ __VA_ARGS__, NULL })

/* Runs salesctl with arguments (NULL terminated); returns its exit status. */
static int
s_salesctl (s_fixture_t *fixture, const char *const *arguments)
{
    int status = sp_harness_salesctl (fixture->harness, arguments, fixture->stderr_path,
                                      fixture->output, sizeof fixture->output, TEST_RUN_TIMEOUT_MS);
    assert_int_equal (
        sp_harness_read_file (fixture->stderr_path, fixture->errors, sizeof fixture->errors), 0);
    return status;
}

#define SALESCTL(...) s_salesctl (fixture, (const char *const[]){ __VA_ARGS__, NULL })

/* The default funnel's canonical text: loaded with salesctl, read back. */
static char *
s_default_canonical (s_fixture_t *fixture, sp_pg_t *pg)
{
    char shipped[PATH_MAX];
    snprintf (shipped, sizeof shipped, "%s/deploy/funnels/default.json", sp_harness_source_dir ());
    assert_int_equal (SALESCTL ("load", "funnel", shipped), 0);
    sp_pg_result_t *result = sp_pg_exec (
        pg,
        "SELECT document FROM reference_data WHERE kind = 'funnel' AND name = 'default' "
        "AND version = 1",
        0, NULL, NULL, NULL);
    assert_true (sp_pg_result_ok (result));
    assert_int_equal (sp_pg_result_rows (result), 1);
    char *text = strdup (sp_pg_result_value (result, 0, 0));
    assert_non_null (text);
    sp_pg_result_destroy (&result);
    return text;
}

static void
s_write_state (s_fixture_t *fixture, const char *canonical)
{
    REDIS ("HSET", "funnel-tracker:config", "currency", "USD", "time_zone", "UTC", "funnels",
           "[\"default\",\"path\",\"crm\"]", "funnel:default", canonical, "version:default", "1",
           "funnel:crm", s_crm_json, "version:crm", "3", "funnel:path", s_path_json);
    REDIS ("HSET", "funnel-tracker:config", "version:path", "2");

    REDIS ("SADD", K0 "months:default", "2017-04", "2017-07");
    REDIS ("SADD", K1 "months:default", "2017-04", "2017-05");

    /* p0 2017-04 */
    REDIS ("HSET", K0 "m:default:company:2017-04", "reached:1", "4", "reached:2", "3", "reached:3",
           "2", "reached:4", "2", "reached:5", "1", "reached:6", "1");
    REDIS ("HSET", K0 "m:default:company:2017-04", "duration_sum:2", "604800000", "duration_sum:3",
           "14400000", "duration_sum:4", "0", "duration_sum:5", "864000000");
    REDIS ("HSET", K0 "m:default:company:2017-04", "duration_sum:6", "432000000", "won", "1",
           "lost", "1", "won_amount_sum", "100000");
    REDIS ("HSET", K0 "m:default:company:2017-04", "won_other_currency", "0", "cycle_sum",
           "1728000000");
    REDIS ("ZADD", K0 "z:default:company:2017-04:duration:2", D, "a", "172800000", "b", "345600000",
           "c");
    REDIS ("ZADD", K0 "z:default:company:2017-04:duration:3", H, "a", "10800000", "b");
    REDIS ("ZADD", K0 "z:default:company:2017-04:duration:4", "0", "a", "0", "b");
    REDIS ("ZADD", K0 "z:default:company:2017-04:duration:5", "864000000", "a");
    REDIS ("ZADD", K0 "z:default:company:2017-04:duration:6", "432000000", "b");
    REDIS ("ZADD", K0 "z:default:company:2017-04:cycle", "1728000000", "a");
    REDIS ("ZADD", K0 "z:default:company:2017-04:amount", "100000", "a");
    REDIS ("HSET", K0 "m:default:region:Central:2017-04", "reached:1", "1");

    /* p1 2017-04 */
    REDIS ("HSET", K1 "m:default:company:2017-04", "reached:1", "1", "reached:2", "1",
           "duration_sum:2", "172800000");
    REDIS ("ZADD", K1 "z:default:company:2017-04:duration:2", "172800000", "e");

    /* p1 2017-05 */
    REDIS ("HSET", K1 "m:default:company:2017-05", "reached:1", "2", "reached:2", "1", "reached:3",
           "1", "reached:4", "1", "reached:5", "1", "reached:6", "0");
    REDIS ("HSET", K1 "m:default:company:2017-05", "duration_sum:2", "259200000", "duration_sum:3",
           "7200000", "duration_sum:4", "3600000", "duration_sum:5", "518400000");
    REDIS ("HSET", K1 "m:default:company:2017-05", "won", "3", "lost", "0", "won_amount_sum",
           "101000", "won_other_currency", "1", "cycle_sum", "4492800000");
    REDIS ("ZADD", K1 "z:default:company:2017-05:duration:2", "259200000", "f");
    REDIS ("ZADD", K1 "z:default:company:2017-05:duration:3", "7200000", "f");
    REDIS ("ZADD", K1 "z:default:company:2017-05:duration:4", H, "f");
    REDIS ("ZADD", K1 "z:default:company:2017-05:duration:5", "518400000", "f");
    REDIS ("ZADD", K1 "z:default:company:2017-05:cycle", "2592000000", "x", "864000000", "y",
           "1036800000", "z");
    REDIS ("ZADD", K1 "z:default:company:2017-05:amount", "40000", "x", "61000", "y");

    /* p0 2017-07 */
    REDIS ("HSET", K0 "m:default:company:2017-07", "reached:1", "1");

    /* Open pipeline now. */
    REDIS ("HSET", K0 "o:default:company", "count:1", "2", "value:1", "20000", "count:3", "1",
           "value:3", "30001");
    REDIS ("HSET", K1 "o:default:company", "count:1", "1", "value:1", "10001", "count:4", "1",
           "value:4", "50000");
    REDIS ("HSET", K1 "o:default:company", "other_currency:4", "1");
}

/* ---------------------------------------------------------------- fixture */

static int
s_setup (void **state)
{
    s_fixture_t *fixture = calloc (1, sizeof *fixture);
    if (!fixture)
        return -1;
    *state = fixture;
    sp_pg_t *pg = NULL;
    fixture->harness = sp_harness_pg_fixture ("test_funnel_query", TEST_PARTITIONS, &pg);
    if (!fixture->harness)
        return -1;
    snprintf (fixture->stderr_path, sizeof fixture->stderr_path, "%s/salesctl.err",
              sp_harness_dir (fixture->harness));
    fixture->redis = sp_harness_redis_fresh (fixture->harness);
    if (!fixture->redis) {
        sp_pg_destroy (&pg);
        return -1;
    }
    char *canonical = s_default_canonical (fixture, pg);
    sp_pg_destroy (&pg);
    s_write_state (fixture, canonical);
    free (canonical);
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = *state;
    if (!fixture)
        return 0;
    sp_redis_destroy (&fixture->redis);
    sp_harness_destroy (&fixture->harness);
    free (fixture);
    return 0;
}

/* ---------------------------------------------------------------- helpers */

static json_t *
s_output_json (s_fixture_t *fixture)
{
    json_error_t error;
    json_t *document = json_loads (fixture->output, 0, &error);
    if (!document)
        print_error ("not JSON (%s): %s\n", error.text, fixture->output);
    assert_non_null (document);
    return document;
}

/* The integer at a path of keys and array indexes ("steps", 0, "reached"). */
static json_int_t
s_step_reached (json_t *document, size_t step)
{
    return json_integer_value (
        json_object_get (json_array_get (json_object_get (document, "steps"), step), "reached"));
}

/* ---------------------------------------------------------------- tests */

/* The quarter over both partitions, compared whole. */
static void
test_funnel_quarter (void **state)
{
    s_fixture_t *fixture = *state;
    assert_int_equal (SALESCTL ("funnel", "--period", "2017-Q2", "--json"), 0);
    assert_string_equal (fixture->errors, "");
    assert_string_equal (
        fixture->output,
        "{\"funnel\":\"default\",\"version\":1,\"mode\":\"pipeline\",\"scope\":\"company\","
        "\"period\":\"2017-Q2\",\"months\":[\"2017-04\",\"2017-05\",\"2017-06\"],"
        "\"currency\":\"USD\",\"time_zone\":\"UTC\",\"steps\":["
        "{\"step\":1,\"name\":\"lead\",\"event\":\"lead_created\",\"outcome\":\"\","
        "\"reached\":7,\"step_conversion\":null,\"overall_conversion\":1.0,\"drop_off\":2,"
        "\"drop_off_rate\":0.2857142857142857,\"time_from_previous\":null},"
        "{\"step\":2,\"name\":\"first_visit\",\"event\":\"visit_completed\",\"outcome\":\"\","
        "\"reached\":5,\"step_conversion\":0.7142857142857143,"
        "\"overall_conversion\":0.7142857142857143,\"drop_off\":2,\"drop_off_rate\":0.4,"
        "\"time_from_previous\":{\"count\":5,\"mean_ms\":207360000.0,\"median_ms\":172800000.0}},"
        "{\"step\":3,\"name\":\"demo\",\"event\":\"demo\",\"outcome\":\"\",\"reached\":3,"
        "\"step_conversion\":0.6,\"overall_conversion\":0.42857142857142855,\"drop_off\":0,"
        "\"drop_off_rate\":0.0,\"time_from_previous\":{\"count\":3,\"mean_ms\":7200000.0,"
        "\"median_ms\":7200000.0}},"
        "{\"step\":4,\"name\":\"quote\",\"event\":\"quote_sent\",\"outcome\":\"\",\"reached\":3,"
        "\"step_conversion\":1.0,\"overall_conversion\":0.42857142857142855,\"drop_off\":1,"
        "\"drop_off_rate\":0.3333333333333333,\"time_from_previous\":{\"count\":3,"
        "\"mean_ms\":1200000.0,\"median_ms\":0.0}},"
        "{\"step\":5,\"name\":\"won\",\"event\":\"deal_won\",\"outcome\":\"won\",\"reached\":2,"
        "\"step_conversion\":0.6666666666666666,\"overall_conversion\":0.2857142857142857,"
        "\"drop_off\":null,\"drop_off_rate\":null,\"time_from_previous\":{\"count\":2,"
        "\"mean_ms\":691200000.0,\"median_ms\":691200000.0}},"
        "{\"step\":6,\"name\":\"lost\",\"event\":\"deal_lost\",\"outcome\":\"lost\","
        "\"reached\":1,\"step_conversion\":0.3333333333333333,"
        "\"overall_conversion\":0.14285714285714285,\"drop_off\":null,\"drop_off_rate\":null,"
        "\"time_from_previous\":{\"count\":1,\"mean_ms\":432000000.0,"
        "\"median_ms\":432000000.0}}],"
        "\"outcome\":{\"won\":4,\"lost\":1,\"win_rate\":0.8,\"won_amount\":{\"count\":3,"
        "\"sum\":201000,\"mean\":67000.0,\"median\":61000.0},\"won_other_currency\":1,"
        "\"sales_cycle\":{\"count\":4,\"mean_ms\":1555200000.0,\"median_ms\":1382400000.0,"
        "\"median_days\":16.0}},"
        "\"completeness\":" COMPLETE_EMPTY "}\n");
}

/* One month, a later month, every month, and a region. */
static void
test_funnel_periods_and_scopes (void **state)
{
    s_fixture_t *fixture = *state;
    assert_int_equal (SALESCTL ("funnel", "--period", "2017-05", "--json"), 0);
    json_t *document = s_output_json (fixture);
    assert_int_equal (s_step_reached (document, 0), 2);
    assert_int_equal (s_step_reached (document, 5), 0);
    json_t *outcome = json_object_get (document, "outcome");
    assert_int_equal (json_integer_value (json_object_get (outcome, "won")), 3);
    assert_true (json_real_value (json_object_get (outcome, "win_rate")) == 1.0);
    /* 2017-05 alone: cycles {10D, 12D, 30D} -> 12 days. */
    assert_true (json_real_value (json_object_get (json_object_get (outcome, "sales_cycle"),
                                                   "median_days")) == 12.0);
    json_decref (document);

    /* July: one lead, nothing further; nulls where nothing divides. */
    assert_int_equal (SALESCTL ("funnel", "--period", "2017-07", "--json"), 0);
    document = s_output_json (fixture);
    assert_int_equal (s_step_reached (document, 0), 1);
    json_t *second = json_array_get (json_object_get (document, "steps"), 1);
    assert_true (json_is_null (
        json_object_get (json_object_get (second, "time_from_previous"), "median_ms")));
    outcome = json_object_get (document, "outcome");
    assert_true (json_is_null (json_object_get (outcome, "win_rate")));
    assert_true (json_is_null (json_object_get (json_object_get (outcome, "won_amount"), "mean")));
    json_decref (document);

    /* all (the default): the union of both partitions' months. */
    assert_int_equal (SALESCTL ("funnel", "--json"), 0);
    document = s_output_json (fixture);
    assert_string_equal (json_string_value (json_object_get (document, "period")), "all");
    char *months = json_dumps (json_object_get (document, "months"), JSON_COMPACT);
    assert_string_equal (months, "[\"2017-04\",\"2017-05\",\"2017-07\"]");
    free (months);
    assert_int_equal (s_step_reached (document, 0), 8);
    json_decref (document);

    /* The year holds the same months. */
    assert_int_equal (SALESCTL ("funnel", "--period", "2017", "--json"), 0);
    document = s_output_json (fixture);
    assert_int_equal (json_array_size (json_object_get (document, "months")), 12);
    assert_int_equal (s_step_reached (document, 0), 8);
    json_decref (document);

    assert_int_equal (
        SALESCTL ("funnel", "--scope", "region:Central", "--period", "2017-04", "--json"), 0);
    document = s_output_json (fixture);
    assert_string_equal (json_string_value (json_object_get (document, "scope")), "region:Central");
    assert_int_equal (s_step_reached (document, 0), 1);
    assert_int_equal (s_step_reached (document, 1), 0);
    json_decref (document);

    /* A scope nobody has data for reads as zeros, not as an error. */
    assert_int_equal (SALESCTL ("funnel", "--scope", "rep:nobody", "--json"), 0);
    document = s_output_json (fixture);
    assert_int_equal (s_step_reached (document, 0), 0);
    json_decref (document);
}

static void
test_pipeline (void **state)
{
    s_fixture_t *fixture = *state;
    assert_int_equal (SALESCTL ("pipeline", "--json"), 0);
    assert_string_equal (fixture->errors, "");
    assert_string_equal (
        fixture->output,
        "{\"funnel\":\"default\",\"version\":1,\"scope\":\"company\",\"period\":\"all\","
        "\"currency\":\"USD\",\"steps\":["
        "{\"step\":1,\"name\":\"lead\",\"probability\":0.05,\"open\":3,\"value\":30001,"
        "\"weighted_value\":1500,\"other_currency\":0},"
        "{\"step\":2,\"name\":\"first_visit\",\"probability\":0.1,\"open\":0,\"value\":0,"
        "\"weighted_value\":0,\"other_currency\":0},"
        "{\"step\":3,\"name\":\"demo\",\"probability\":0.25,\"open\":1,\"value\":30001,"
        "\"weighted_value\":7500,\"other_currency\":0},"
        "{\"step\":4,\"name\":\"quote\",\"probability\":0.5,\"open\":1,\"value\":50000,"
        "\"weighted_value\":25000,\"other_currency\":1}],"
        "\"open\":5,\"value\":110002,\"weighted_value\":34000,\"win_rate\":0.8,"
        "\"average_won_amount\":67000.0,\"median_sales_cycle_days\":16.0,"
        "\"velocity_per_day\":16750.0,"
        "\"completeness\":" COMPLETE_EMPTY "}\n");

    /* July alone has no outcome: win rate, average, cycle and velocity null. */
    assert_int_equal (SALESCTL ("pipeline", "--period", "2017-07", "--json"), 0);
    json_t *document = s_output_json (fixture);
    assert_int_equal (json_integer_value (json_object_get (document, "open")), 5);
    assert_true (json_is_null (json_object_get (document, "win_rate")));
    assert_true (json_is_null (json_object_get (document, "velocity_per_day")));
    json_decref (document);

    /* Without --json and without a terminal: the text, no escape codes. */
    assert_int_equal (SALESCTL ("pipeline"), 0);
    assert_null (strchr (fixture->output, '\033'));
    assert_non_null (strstr (fixture->output, "win rate 80.0%, average won amount 670.00, median "
                                              "sales cycle 16.0 d\nvelocity 167.50 per day\n"));
    assert_int_equal (SALESCTL ("funnel", "--period", "2017-Q2"), 0);
    assert_null (strchr (fixture->output, '\033'));
    assert_non_null (strstr (fixture->output, "\nwon 4, lost 1, win rate 80.0%\n"));
}

static void
test_refusals (void **state)
{
    s_fixture_t *fixture = *state;
    assert_int_equal (SALESCTL ("funnel", "--funnel", "x", "--json"), 1);
    assert_string_equal (fixture->output, "");
    assert_string_equal (fixture->errors, "salesctl funnel: funnel \"x\" is not counted by "
                                          "funnel-tracker (counted: crm, default, path)\n");
    assert_int_equal (SALESCTL ("pipeline", "--funnel", "x"), 1);
    assert_string_equal (fixture->errors, "salesctl pipeline: funnel \"x\" is not counted by "
                                          "funnel-tracker (counted: crm, default, path)\n");

    assert_int_equal (SALESCTL ("funnel", "--scope", "planet:mars"), 1);
    assert_string_equal (fixture->errors,
                         "salesctl funnel: invalid scope \"planet:mars\": expected company, "
                         "region:ID, team:ID or rep:ID\n");
    assert_int_equal (SALESCTL ("pipeline", "--scope", "team:"), 1);
    assert_string_equal (fixture->errors,
                         "salesctl pipeline: invalid scope \"team:\": the team id is empty\n");
    assert_int_equal (SALESCTL ("funnel", "--period", "2017-Q5"), 1);
    assert_string_equal (fixture->errors,
                         "salesctl funnel: invalid period \"2017-Q5\": quarter must be 1..4\n");
    assert_int_equal (SALESCTL ("funnel", "--period", "2017-W05"), 1);
    assert_string_equal (fixture->errors, "salesctl funnel: invalid period \"2017-W05\": expected "
                                          "YYYY-MM, YYYY-Qn, YYYY or all\n");

    /* A sequence funnel reads as a funnel but has no pipeline. */
    assert_int_equal (SALESCTL ("funnel", "--funnel", "path", "--json"), 0);
    json_t *document = s_output_json (fixture);
    assert_string_equal (json_string_value (json_object_get (document, "mode")), "sequence");
    assert_int_equal (json_integer_value (json_object_get (document, "version")), 2);
    assert_null (json_object_get (document, "outcome"));
    json_decref (document);
    assert_int_equal (SALESCTL ("pipeline", "--funnel", "path"), 1);
    assert_string_equal (fixture->errors,
                         "salesctl pipeline: funnel \"path\" counts in sequence mode: it has no "
                         "pipeline (see salesctl funnel)\n");

    /* A malformed partial is named, not summed. */
    REDIS ("HSET", K1 "m:default:company:2017-05", "won", "many");
    assert_int_equal (SALESCTL ("funnel", "--period", "2017-05"), 1);
    assert_string_equal (fixture->errors,
                         "salesctl funnel: field \"won\" of \"" K1
                         "m:default:company:2017-05\" holds \"many\", not a count\n");
    REDIS ("HSET", K1 "m:default:company:2017-05", "won", "3");
}

/* Before funnel-tracker ever ran, the configuration is missing. */
static void
test_not_counted_yet (void **state)
{
    s_fixture_t *fixture = *state;
    REDIS ("RENAME", "funnel-tracker:config", "funnel-tracker:config-saved");
    assert_int_equal (SALESCTL ("funnel"), 1);
    assert_string_equal (fixture->errors, "salesctl funnel: funnel-tracker has not counted "
                                          "anything yet: \"funnel-tracker:config\" is empty\n");
    REDIS ("RENAME", "funnel-tracker:config-saved", "funnel-tracker:config");
    assert_int_equal (SALESCTL ("funnel"), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_funnel_quarter),  cmocka_unit_test (test_funnel_periods_and_scopes),
        cmocka_unit_test (test_pipeline),        cmocka_unit_test (test_refusals),
        cmocka_unit_test (test_not_counted_yet),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
