/*  test_migrate - sp_migrate against a real PostgreSQL server (sp_harness).

    Each test works in its own schema (the connection's search_path), which
    is a fresh database as far as the migrations can tell. Covers applying
    the real migrations on a fresh database, a second run that applies
    nothing and changes nothing (schema_migrations and a catalog dump
    compared), edited, renamed and out-of-order files, a failing file
    leaving nothing behind, a file committing on its own, bad file names,
    duplicate numbers, concurrent runners applying each file exactly once,
    and the partition count being fixed at setup.
*/
#include "sp_harness.h"
#include "sp_migrate.h"
#include "sp_refdata.h"
#include "sp_pg.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TEST_URL_MAX 512        /* longest URL built here */
#define TEST_RUNNERS 4          /* concurrent migration runners */
#define TEST_PARTITIONS 8       /* partition count the partition test sets up */
#define TEST_OTHER_PARTITIONS 4 /* a different count, refused once set up */

/* Catalog dump of one schema: tables, columns, constraints, indexes, comments. */
static const char s_dump_sql[] =
    "SELECT 'column', c.table_name || '.' || c.column_name, c.data_type || ' ' || c.is_nullable"
    "       || ' ' || coalesce(c.column_default, '')"
    "  FROM information_schema.columns c WHERE c.table_schema = $1"
    " UNION ALL "
    "SELECT 'constraint', conrelid::regclass::text || '.' || conname, pg_get_constraintdef(oid)"
    "  FROM pg_constraint WHERE connamespace = $1::regnamespace"
    " UNION ALL "
    "SELECT 'index', indexname, indexdef FROM pg_indexes WHERE schemaname = $1"
    " UNION ALL "
    "SELECT 'comment', d.objoid::regclass::text || '.' || d.objsubid, d.description"
    "  FROM pg_description d JOIN pg_class k ON k.oid = d.objoid"
    " WHERE k.relnamespace = $1::regnamespace"
    " ORDER BY 1, 2, 3";

static const char s_applied_sql[] =
    "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version";

/* Path of the real migrations folder. */
static void
s_migrations_dir (char *path, size_t size)
{
    snprintf (path, size, "%s/migrations", sp_harness_source_dir ());
}

/* Connects with search_path set to schema, after creating the schema
   (create_sql is the constant CREATE SCHEMA statement for it). */
static sp_pg_t *
s_connect_schema (void **state, const char *schema, const char *create_sql)
{
    const char *url = sp_harness_postgres_url ((const sp_harness_t *) *state);
    sp_pg_t *admin = sp_pg_new (url, "test_migrate");
    assert_non_null (admin);
    sp_pg_result_t *result = sp_pg_exec (admin, create_sql, 0, NULL, NULL, NULL);
    assert_true (sp_pg_result_ok (result));
    sp_pg_result_destroy (&result);
    sp_pg_destroy (&admin);
    char schema_url[TEST_URL_MAX];
    snprintf (schema_url, sizeof schema_url, "%s?options=-csearch_path%%3D%s", url, schema);
    sp_pg_t *pg = sp_pg_new (schema_url, "test_migrate");
    assert_non_null (pg);
    assert_int_equal (sp_pg_connect (pg), 0);
    return pg;
}

/* Every cell of a query's rows, "|" between cells and a newline per row. */
static char *
s_snapshot (sp_pg_t *pg, const char *sql, const char *schema)
{
    const char *values[] = { schema };
    sp_pg_result_t *result = sp_pg_exec (pg, sql, schema ? 1 : 0, values, NULL, NULL);
    assert_true (sp_pg_result_ok (result));
    char *text = NULL;
    size_t size = 0;
    FILE *stream = open_memstream (&text, &size);
    assert_non_null (stream);
    for (int row = 0; row < sp_pg_result_rows (result); row++) {
        for (int column = 0; column < sp_pg_result_columns (result); column++)
            fprintf (stream, "%s|", sp_pg_result_value (result, row, column));
        fputc ('\n', stream);
    }
    fclose (stream);
    sp_pg_result_destroy (&result);
    return text;
}

static int64_t
s_query_int (sp_pg_t *pg, const char *sql)
{
    sp_pg_result_t *result = sp_pg_exec (pg, sql, 0, NULL, NULL, NULL);
    assert_true (sp_pg_result_ok (result));
    int64_t value = -1;
    assert_int_equal (sp_pg_result_int64 (result, 0, 0, &value), 0);
    sp_pg_result_destroy (&result);
    return value;
}

/* A temporary folder of migration files. */
static void
s_folder_new (char *path, size_t size)
{
    const char *tmp = getenv ("TMPDIR");
    snprintf (path, size, "%s/test-migrate.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null (mkdtemp (path));
}

static void
s_write_file (const char *folder, const char *name, const char *text)
{
    char path[PATH_MAX];
    snprintf (path, sizeof path, "%s/%s", folder, name);
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    assert_int_equal (fputs (text, file) >= 0, 1);
    assert_int_equal (fclose (file), 0);
}

static void
s_remove_file (const char *folder, const char *name)
{
    char path[PATH_MAX];
    snprintf (path, sizeof path, "%s/%s", folder, name);
    assert_int_equal (unlink (path), 0);
}

/* Removes every file of the folder, then the folder. */
static void
s_folder_destroy (const char *path)
{
    DIR *folder = opendir (path);
    assert_non_null (folder);
    struct dirent *entry;
    while ((entry = readdir (folder)) != NULL)
        if (strcmp (entry->d_name, ".") != 0 && strcmp (entry->d_name, "..") != 0)
            s_remove_file (path, entry->d_name);
    closedir (folder);
    assert_int_equal (rmdir (path), 0);
}

/* Applies folder on pg with a new runner; returns the result and copies the error. */
static int
s_apply (sp_pg_t *pg, const char *folder, char *error, size_t error_size)
{
    sp_migrate_t *migrate = sp_migrate_new (folder);
    assert_non_null (migrate);
    int applied = sp_migrate_apply (migrate, pg);
    snprintf (error, error_size, "%s", sp_migrate_error (migrate));
    sp_migrate_destroy (&migrate);
    assert_null (migrate);
    return applied;
}

/* Copies the project's migration file name into folder. */
static void
s_copy_migration (const char *folder, const char *name)
{
    char source[PATH_MAX], path[PATH_MAX + NAME_MAX + 2];
    s_migrations_dir (source, sizeof source);
    snprintf (path, sizeof path, "%s/%s", source, name);
    FILE *file = fopen (path, "r");
    assert_non_null (file);
    char *text = NULL;
    size_t size = 0;
    FILE *stream = open_memstream (&text, &size);
    assert_non_null (stream);
    int c;
    while ((c = fgetc (file)) != EOF)
        fputc (c, stream);
    fclose (file);
    fclose (stream);
    s_write_file (folder, name, text);
    free (text);
}

/* 0005 moves funnel_definitions into reference_data with every version,
   text, hash and load time, in load order, and the next load goes on
   from there. */
static void
test_funnel_definitions_move_to_reference_data (void **state)
{
    sp_pg_t *pg = s_connect_schema (state, "migrate_refdata", "CREATE SCHEMA migrate_refdata");
    char folder[PATH_MAX], error[PATH_MAX];
    s_folder_new (folder, sizeof folder);
    const char *before[] = { "0001_event_log.sql", "0002_consumer.sql", "0003_funnels.sql",
                             "0004_funnel_notices.sql" };
    for (size_t index = 0; index < sizeof before / sizeof before[0]; index++)
        s_copy_migration (folder, before[index]);
    assert_int_equal (s_apply (pg, folder, error, sizeof error), 4);
    sp_pg_result_t *result = sp_pg_exec (
        pg,
        "INSERT INTO funnel_definitions (name, version, definition, content_hash, loaded_at) "
        "SELECT name, version, definition, sha256(convert_to(definition, 'UTF8')), at "
        "FROM (VALUES ('b', 1, '{\"name\":\"b\"}', timestamptz '2026-01-01 10:00Z'), "
        "('a', 1, '{\"name\":\"a\"}', timestamptz '2026-01-02 10:00Z'), "
        "('a', 2, '{\"name\":\"a\",\"v\":2}', timestamptz '2026-01-03 10:00Z')) "
        "AS rows (name, version, definition, at)",
        0, NULL, NULL, NULL);
    assert_true (sp_pg_result_ok (result));
    sp_pg_result_destroy (&result);
    char *moved_from =
        s_snapshot (pg,
                    "SELECT name, version, definition, encode(content_hash, 'hex'), loaded_at "
                    "FROM funnel_definitions ORDER BY loaded_at",
                    NULL);
    s_copy_migration (folder, "0005_reference_data.sql");
    assert_int_equal (s_apply (pg, folder, error, sizeof error), 1);
    char *moved_to = s_snapshot (pg,
                                 "SELECT name, version, document, encode(content_hash, 'hex'), "
                                 "loaded_at FROM reference_data WHERE kind = 'funnel' "
                                 "ORDER BY revision",
                                 NULL);
    assert_string_equal (moved_from, moved_to);
    free (moved_from);
    free (moved_to);
    assert_int_equal (s_query_int (pg, "SELECT count(*) FROM pg_tables WHERE schemaname = "
                                       "'migrate_refdata' AND tablename = 'funnel_definitions'"),
                      0);
    assert_int_equal (s_query_int (pg, "SELECT max(revision) FROM reference_data"), 3);
    /* The next load of "a" is its version 3, revision 4. */
    sp_refdata_stored_t stored;
    char reason[SP_REFDATA_ERROR_SIZE];
    assert_int_equal (sp_refdata_store (pg, "funnel", "a", "{\"name\":\"a\",\"v\":3}", NULL, "test",
                                        false, &stored, reason, sizeof reason),
                      0);
    assert_int_equal (stored.version, 3);
    assert_int_equal (stored.revision, 4);
    assert_true (stored.changed);
    s_folder_destroy (folder);
    sp_pg_destroy (&pg);
}

static int
s_group_setup (void **state)
{
    *state = sp_harness_new (SP_HARNESS_POSTGRES);
    return *state ? 0 : -1;
}

static int
s_group_teardown (void **state)
{
    sp_harness_t *harness = (sp_harness_t *) *state;
    sp_harness_destroy (&harness);
    return 0;
}

static void
test_fresh_then_again_changes_nothing (void **state)
{
    sp_pg_t *pg = s_connect_schema (state, "migrate_fresh", "CREATE SCHEMA migrate_fresh");
    char dir[PATH_MAX];
    s_migrations_dir (dir, sizeof dir);
    sp_migrate_t *migrate = sp_migrate_new (dir);
    assert_non_null (migrate);
    assert_true (sp_migrate_scan (migrate) >= 1);
    size_t count = sp_migrate_count (migrate);
    assert_int_equal (sp_migrate_version (migrate, 0), 1);
    assert_string_equal (sp_migrate_name (migrate, 0), "0001_event_log.sql");
    assert_int_equal (sp_migrate_apply (migrate, pg), (int) count);
    assert_string_equal (sp_migrate_error (migrate), "");
    for (size_t index = 0; index < count; index++) {
        assert_true (sp_migrate_applied (migrate, index));
        assert_int_equal (strlen (sp_migrate_checksum (migrate, index)), 64);
    }
    /* The event log tables exist, with the recorded checksum. */
    assert_int_equal (s_query_int (pg, "SELECT count(*) FROM pg_tables WHERE schemaname ="
                                       " 'migrate_fresh' AND tablename IN ('salespulse_settings',"
                                       " 'event_partitions', 'events', 'dead_letters',"
                                       " 'event_conflicts', 'schema_migrations')"),
                      6);
    const char *values[] = { sp_migrate_checksum (migrate, 0) };
    sp_pg_result_t *result =
        sp_pg_exec (pg, "SELECT 1 FROM schema_migrations WHERE version = 1 AND checksum = $1", 1,
                    values, NULL, NULL);
    assert_int_equal (sp_pg_result_rows (result), 1);
    sp_pg_result_destroy (&result);

    char *applied_before = s_snapshot (pg, s_applied_sql, NULL);
    char *schema_before = s_snapshot (pg, s_dump_sql, "migrate_fresh");
    assert_non_null (strstr (schema_before, "events_event_id_key"));
    /* Again, with the same runner and with a new one: nothing to do. */
    assert_int_equal (sp_migrate_apply (migrate, pg), 0);
    assert_false (sp_migrate_applied (migrate, 0));
    char error[PATH_MAX];
    assert_int_equal (s_apply (pg, dir, error, sizeof error), 0);
    char *applied_after = s_snapshot (pg, s_applied_sql, NULL);
    char *schema_after = s_snapshot (pg, s_dump_sql, "migrate_fresh");
    assert_string_equal (applied_before, applied_after);
    assert_string_equal (schema_before, schema_after);
    free (applied_before);
    free (applied_after);
    free (schema_before);
    free (schema_after);
    sp_migrate_destroy (&migrate);
    sp_migrate_destroy (&migrate); /* no-op on NULL */
    sp_pg_destroy (&pg);
}

static void
test_partitions_fixed_at_setup (void **state)
{
    sp_pg_t *pg =
        s_connect_schema (state, "migrate_partitions", "CREATE SCHEMA migrate_partitions");
    char dir[PATH_MAX];
    s_migrations_dir (dir, sizeof dir);
    sp_migrate_t *migrate = sp_migrate_new (dir);
    assert_true (sp_migrate_apply (migrate, pg) >= 1);
    int created = -1;
    assert_int_equal (sp_migrate_set_partitions (migrate, pg, TEST_PARTITIONS, true, &created),
                      TEST_PARTITIONS);
    assert_int_equal (created, TEST_PARTITIONS);
    assert_int_equal (sp_migrate_set_partitions (migrate, pg, TEST_PARTITIONS, true, &created),
                      TEST_PARTITIONS);
    assert_int_equal (created, 0);
    /* A different explicit count is refused, the recorded one kept. */
    created = -1;
    assert_int_equal (
        sp_migrate_set_partitions (migrate, pg, TEST_OTHER_PARTITIONS, true, &created), -1);
    assert_int_equal (created, -1);
    assert_non_null (strstr (sp_migrate_error (migrate), "set up with 8 partitions, not 4"));
    assert_false (sp_pg_in_transaction (pg));
    /* Not required: the recorded count wins. */
    assert_int_equal (sp_migrate_set_partitions (migrate, pg, TEST_OTHER_PARTITIONS, false, NULL),
                      TEST_PARTITIONS);
    assert_int_equal (s_query_int (pg, "SELECT count(*) FROM event_partitions"), TEST_PARTITIONS);
    assert_int_equal (s_query_int (pg, "SELECT max(partition) FROM event_partitions"),
                      TEST_PARTITIONS - 1);
    assert_int_equal (s_query_int (pg, "SELECT sum(head_sequence) FROM event_partitions"), 0);
    /* A damaged partition table is reported, not papered over. */
    sp_pg_result_t *result =
        sp_pg_exec (pg, "DELETE FROM event_partitions WHERE partition = 3", 0, NULL, NULL, NULL);
    sp_pg_result_destroy (&result);
    result = sp_pg_exec (pg, "INSERT INTO event_partitions (partition) VALUES (99)", 0, NULL, NULL,
                         NULL);
    sp_pg_result_destroy (&result);
    assert_int_equal (sp_migrate_set_partitions (migrate, pg, TEST_PARTITIONS, true, NULL), -1);
    assert_non_null (strstr (sp_migrate_error (migrate), "event_partitions holds"));
    assert_int_equal (s_query_int (pg, "SELECT count(*) FROM event_partitions WHERE partition = 3"),
                      0);
    sp_migrate_destroy (&migrate);
    sp_pg_destroy (&pg);
}

static void
test_edited_renamed_and_late_files (void **state)
{
    sp_pg_t *pg = s_connect_schema (state, "migrate_edit", "CREATE SCHEMA migrate_edit");
    char folder[PATH_MAX], error[PATH_MAX];
    s_folder_new (folder, sizeof folder);
    s_write_file (folder, "0002_second.sql", "CREATE TABLE second_table (id integer);\n");
    s_write_file (folder, ".editor-swap", "ignored: hidden\n");
    assert_int_equal (s_apply (pg, folder, error, sizeof error), 1);
    char *applied_before = s_snapshot (pg, s_applied_sql, NULL);

    /* Edited after it was applied. */
    s_write_file (folder, "0002_second.sql", "CREATE TABLE second_table (id bigint);\n");
    assert_int_equal (s_apply (pg, folder, error, sizeof error), -1);
    assert_non_null (strstr (error, "\"0002_second.sql\" changed after it was applied"));
    /* Renamed. */
    s_remove_file (folder, "0002_second.sql");
    s_write_file (folder, "0002_renamed.sql", "CREATE TABLE second_table (id integer);\n");
    assert_int_equal (s_apply (pg, folder, error, sizeof error), -1);
    assert_non_null (strstr (error, "\"0002_second.sql\""));
    assert_non_null (strstr (error, "\"0002_renamed.sql\""));
    s_remove_file (folder, "0002_renamed.sql");
    s_write_file (folder, "0002_second.sql", "CREATE TABLE second_table (id integer);\n");
    /* Numbered below what is applied. */
    s_write_file (folder, "0001_first.sql", "CREATE TABLE first_table (id integer);\n");
    assert_int_equal (s_apply (pg, folder, error, sizeof error), -1);
    assert_non_null (strstr (error, "\"0001_first.sql\" is numbered below"));
    s_remove_file (folder, "0001_first.sql");
    char *applied_after = s_snapshot (pg, s_applied_sql, NULL);
    assert_string_equal (applied_before, applied_after);
    free (applied_after);

    /* A failing file leaves neither its changes nor its row; files before it stay. */
    s_write_file (folder, "0003_third.sql", "CREATE TABLE third_table (id integer);\n");
    s_write_file (folder, "0004_broken.sql",
                  "CREATE TABLE broken_table (id integer);\nCREATE TABLE oops (;\n");
    assert_int_equal (s_apply (pg, folder, error, sizeof error), -1);
    assert_non_null (strstr (error, "could not apply migration \"0004_broken.sql\""));
    assert_non_null (strstr (error, "42601"));
    assert_int_equal (s_query_int (pg, "SELECT count(*) FROM schema_migrations"), 2);
    assert_int_equal (s_query_int (pg, "SELECT count(*) FROM pg_tables WHERE schemaname ="
                                       " 'migrate_edit' AND tablename = 'broken_table'"),
                      0);
    assert_false (sp_pg_in_transaction (pg));
    s_remove_file (folder, "0004_broken.sql");

    /* A file with its own COMMIT is caught. */
    s_write_file (folder, "0005_commits.sql",
                  "CREATE TABLE commits_table (id integer);\nCOMMIT;\n");
    assert_int_equal (s_apply (pg, folder, error, sizeof error), -1);
    assert_non_null (strstr (error, "\"0005_commits.sql\" ended the transaction itself"));
    assert_int_equal (s_query_int (pg, "SELECT count(*) FROM schema_migrations"), 2);
    free (applied_before);
    s_folder_destroy (folder);
    sp_pg_destroy (&pg);
}

static void
test_bad_names_and_duplicates (void **state)
{
    (void) state;
    static const char *const bad_names[] = {
        "1_short.sql", "0001-dash.sql", "0001_Upper.sql", "0000_zero.sql",
        "0001_.sql",   "0001_x.txt",    "00001_five.sql", "0001_x.sql~",
    };
    char folder[PATH_MAX];
    for (size_t index = 0; index < sizeof bad_names / sizeof bad_names[0]; index++) {
        s_folder_new (folder, sizeof folder);
        s_write_file (folder, "0001_good.sql", "SELECT 1;\n");
        s_write_file (folder, bad_names[index], "SELECT 1;\n");
        sp_migrate_t *migrate = sp_migrate_new (folder);
        assert_int_equal (sp_migrate_scan (migrate), -1);
        assert_int_equal (sp_migrate_count (migrate), 0);
        char expected[PATH_MAX];
        snprintf (expected, sizeof expected, "invalid migration file name \"%s\"",
                  bad_names[index]);
        assert_non_null (strstr (sp_migrate_error (migrate), expected));
        sp_migrate_destroy (&migrate);
        s_folder_destroy (folder);
    }
    s_folder_new (folder, sizeof folder);
    s_write_file (folder, "0003_c.sql", "SELECT 3;\n");
    s_write_file (folder, "0001_a.sql", "SELECT 1;\n");
    s_write_file (folder, "0001_b.sql", "SELECT 1;\n");
    sp_migrate_t *migrate = sp_migrate_new (folder);
    assert_int_equal (sp_migrate_scan (migrate), -1);
    assert_non_null (strstr (sp_migrate_error (migrate), "duplicate migration number 0001"));
    s_remove_file (folder, "0001_b.sql");
    /* Sorted by number, not by the order the folder lists them. */
    assert_int_equal (sp_migrate_scan (migrate), 2);
    assert_string_equal (sp_migrate_name (migrate, 0), "0001_a.sql");
    assert_string_equal (sp_migrate_name (migrate, 1), "0003_c.sql");
    assert_int_equal (sp_migrate_version (migrate, 1), 3);
    sp_migrate_destroy (&migrate);
    s_folder_destroy (folder);

    migrate = sp_migrate_new ("/nonexistent/migrations");
    assert_int_equal (sp_migrate_scan (migrate), -1);
    assert_non_null (strstr (sp_migrate_error (migrate), "could not open migrations folder"));
    sp_migrate_destroy (&migrate);
}

/* One concurrent runner. */
typedef struct {
    char url[TEST_URL_MAX];     /* database, with the schema's search_path */
    const char *dir;            /* migrations folder */
    pthread_barrier_t *barrier; /* start line shared by the runners */
    int applied;                /* sp_migrate_apply's answer */
} s_runner_t;

static void *
s_runner (void *argument)
{
    s_runner_t *runner = (s_runner_t *) argument;
    sp_pg_t *pg = sp_pg_new (runner->url, "test_migrate_runner");
    sp_migrate_t *migrate = sp_migrate_new (runner->dir);
    runner->applied = -1;
    if (pg && migrate && sp_pg_connect (pg) == 0 && sp_migrate_scan (migrate) >= 0) {
        pthread_barrier_wait (runner->barrier);
        runner->applied = sp_migrate_apply (migrate, pg);
    }
    else
        pthread_barrier_wait (runner->barrier);
    sp_migrate_destroy (&migrate);
    sp_pg_destroy (&pg);
    return NULL;
}

static void
test_concurrent_runners_apply_once (void **state)
{
    sp_pg_t *pg = s_connect_schema (state, "migrate_race", "CREATE SCHEMA migrate_race");
    char dir[PATH_MAX];
    s_migrations_dir (dir, sizeof dir);
    sp_migrate_t *migrate = sp_migrate_new (dir);
    int count = sp_migrate_scan (migrate);
    assert_true (count >= 1);
    sp_migrate_destroy (&migrate);

    pthread_barrier_t barrier;
    assert_int_equal (pthread_barrier_init (&barrier, NULL, TEST_RUNNERS), 0);
    s_runner_t runners[TEST_RUNNERS];
    memset (runners, 0, sizeof runners);
    pthread_t threads[TEST_RUNNERS];
    for (int index = 0; index < TEST_RUNNERS; index++) {
        snprintf (runners[index].url, sizeof runners[index].url,
                  "%s?options=-csearch_path%%3Dmigrate_race",
                  sp_harness_postgres_url ((const sp_harness_t *) *state));
        runners[index].dir = dir;
        runners[index].barrier = &barrier;
        assert_int_equal (pthread_create (&threads[index], NULL, s_runner, &runners[index]), 0);
    }
    int total = 0;
    for (int index = 0; index < TEST_RUNNERS; index++) {
        assert_int_equal (pthread_join (threads[index], NULL), 0);
        assert_true (runners[index].applied >= 0);
        total += runners[index].applied;
    }
    pthread_barrier_destroy (&barrier);
    /* Every file applied by exactly one runner, and recorded once. */
    assert_int_equal (total, count);
    assert_int_equal (s_query_int (pg, "SELECT count(*) FROM schema_migrations"), count);
    assert_int_equal (s_query_int (pg, "SELECT count(DISTINCT version) FROM schema_migrations"),
                      count);
    sp_pg_destroy (&pg);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_fresh_then_again_changes_nothing),
        cmocka_unit_test (test_funnel_definitions_move_to_reference_data),
        cmocka_unit_test (test_partitions_fixed_at_setup),
        cmocka_unit_test (test_edited_renamed_and_late_files),
        cmocka_unit_test (test_bad_names_and_duplicates),
        cmocka_unit_test (test_concurrent_runners_apply_once),
    };
    return cmocka_run_group_tests (tests, s_group_setup, s_group_teardown);
}
