/*  test_salesctl_plans - `salesctl load plans` end to end.

    Runs the real salesctl against the harness's migrated PostgreSQL: a
    commission plan (docs/incentives.md) is validated by
    incentive-calculator's own code and stored with the date it takes
    effect; a changed plan effective later is the next version of the
    same name; the same plan again changes nothing; a refused plan (a gap
    between two rate bands) exits 1 naming the field and writes nothing.
*/
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sp_harness.h"
#include "sp_harness_consumer.h"
#include "sp_harness_pg.h"
#include "sp_pg.h"

#define TEST_PARTITIONS 4
#define TEST_RUN_TIMEOUT_MS 60000 /* one salesctl run (sanitizer builds are slow) */
#define TEST_OUTPUT_SIZE 4096
#define TEST_TEXT_SIZE 1024

/* A one-rep plan paying 5 % of revenue up to 5,000.00 a quarter and
   rate above; lo is the second band's lower bound. */
#define TEST_PLAN(lo, rate)                                                                        \
    "{\"name\": \"ae-2025\", \"currency\": \"USD\", \"period\": \"quarter\","                     \
    " \"assign\": {\"reps\": [{\"id\": \"rep-1\", \"from\": \"2025-02-15\"}]},"                  \
    " \"components\": [{\"id\": \"revenue\", \"measure\": \"revenue\", \"quota\": \"100000.00\"," \
    " \"table\": {\"bands\": [{\"lo\": \"0\", \"hi\": \"5000\", \"rate\": \"0.05\"},"             \
    " {\"lo\": \"" lo "\", \"rate\": \"" rate "\"}]}}]}"

typedef struct {
    sp_harness_t *harness;
    sp_pg_t *pg;
    char output[TEST_OUTPUT_SIZE];
    char errors_path[PATH_MAX];
} s_fixture_t;

static int
s_setup (void **state)
{
    s_fixture_t *fixture = calloc (1, sizeof *fixture);
    if (!fixture)
        return -1;
    *state = fixture;
    fixture->harness = sp_harness_pg_fixture ("test_salesctl_plans", TEST_PARTITIONS, &fixture->pg);
    if (!fixture->harness)
        return -1;
    snprintf (fixture->errors_path, sizeof fixture->errors_path, "%s/salesctl.err",
              sp_harness_dir (fixture->harness));
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = *state;
    if (fixture) {
        sp_pg_destroy (&fixture->pg);
        sp_harness_destroy (&fixture->harness);
        free (fixture);
    }
    return 0;
}

/* Runs salesctl load plans FILE --effective-from WHEN; returns its exit
   status, stdout in fixture->output. */
static int
s_load (s_fixture_t *fixture, const char *name, const char *text, const char *effective_from)
{
    char path[PATH_MAX];
    assert_int_equal (
        sp_harness_consumer_file (fixture->harness, name, text, path, sizeof path), 0);
    const char *arguments[] = { "load", "plans", path, "--effective-from", effective_from, NULL };
    return sp_harness_salesctl (fixture->harness, arguments, fixture->errors_path,
                                fixture->output, sizeof fixture->output, TEST_RUN_TIMEOUT_MS);
}

/* The whole stderr of the last run. */
static void
s_errors (const s_fixture_t *fixture, char *text, size_t size)
{
    FILE *file = fopen (fixture->errors_path, "r");
    assert_non_null (file);
    size_t length = fread (text, 1, size - 1, file);
    text[length] = '\0';
    fclose (file);
}

static void
test_load_plans (void **state)
{
    s_fixture_t *fixture = *state;
    assert_int_equal (s_load (fixture, "plan.json", TEST_PLAN ("5000", "0.1"), "2025-01-01"), 0);
    assert_string_equal (fixture->output, "plans \"ae-2025\" loaded: version 1 (revision 1)\n");
    /* a changed rate from July: the next version of its name */
    assert_int_equal (s_load (fixture, "plan.json", TEST_PLAN ("5000", "0.12"), "2025-07-01"), 0);
    assert_string_equal (fixture->output, "plans \"ae-2025\" loaded: version 2 (revision 2)\n");
    /* the same plan again: nothing stored */
    assert_int_equal (s_load (fixture, "plan.json", TEST_PLAN ("5000", "0.12"), "2025-07-01"), 0);
    assert_string_equal (fixture->output,
                         "plans \"ae-2025\" unchanged: version 2 (revision 2)\n");
    assert_int_equal (
        sp_harness_pg_count (fixture->pg,
                             "SELECT count(*) FROM reference_data WHERE kind = 'plans' AND "
                             "name = 'ae-2025' AND effective_from = '2025-07-01T00:00:00Z' AND "
                             "version = 2"),
        1);
}

static void
test_load_plans_refused (void **state)
{
    s_fixture_t *fixture = *state;
    char errors[TEST_TEXT_SIZE];
    assert_int_equal (s_load (fixture, "gap.json", TEST_PLAN ("6000", "0.1"), "2025-01-01"), 1);
    assert_string_equal (fixture->output, "");
    s_errors (fixture, errors, sizeof errors);
    assert_non_null (strstr (errors, "field \"components[0].table.bands[1]\": gap between "
                                     "bands[0] [0.00, 5000.00) and bands[1] [6000.00, ...)"));
    assert_non_null (strstr (errors, "salesctl load plans: "));
    /* nothing but the two versions of test_load_plans */
    assert_int_equal (
        sp_harness_pg_count (fixture->pg, "SELECT count(*) FROM reference_data WHERE kind = 'plans'"),
        2);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_load_plans),
        cmocka_unit_test (test_load_plans_refused),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
