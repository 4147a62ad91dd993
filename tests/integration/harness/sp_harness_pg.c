/*  sp_harness_pg - the test database as integration tests use it (see
    sp_harness_pg.h).
*/
#include "sp_harness_pg.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sp_migrate.h"

/* Gap-free: with (partition, sequence) unique and sequence >= 1, count =
   max = head means exactly 1..head. */
#define SP_HARNESS_PG_GAPS_SQL                                                                     \
    "SELECT count(*) FROM event_partitions p WHERE head_sequence <> (SELECT count(*) FROM "        \
    "events e WHERE e.partition = p.partition) OR head_sequence <> coalesce((SELECT "              \
    "max(sequence) FROM events e WHERE e.partition = p.partition), 0)"

sp_pg_t *
sp_harness_pg_connect (const sp_harness_t *harness, const char *application, int partitions)
{
    char migrations[PATH_MAX];
    snprintf (migrations, sizeof migrations, "%s/migrations", sp_harness_source_dir ());
    sp_pg_t *pg = sp_pg_new (sp_harness_postgres_url (harness), application);
    sp_migrate_t *migrate = sp_migrate_new (migrations);
    if (!pg || !migrate || sp_pg_connect (pg) != 0 ||
        sp_migrate_set_partitions (migrate, pg, partitions, true, NULL) != partitions) {
        fprintf (stderr, "sp_harness: could not record %d partitions in the test database: %s\n",
                 partitions, migrate ? sp_migrate_error (migrate) : "out of memory");
        sp_pg_destroy (&pg);
    }
    sp_migrate_destroy (&migrate);
    return pg;
}

sp_harness_t *
sp_harness_pg_fixture (const char *application, int partitions, sp_pg_t **pg_p)
{
    return sp_harness_pg_fixture_with (SP_HARNESS_REDIS, application, partitions, pg_p);
}

sp_harness_t *
sp_harness_pg_fixture_with (unsigned flags, const char *application, int partitions, sp_pg_t **pg_p)
{
    sp_harness_t *harness = sp_harness_new (SP_HARNESS_POSTGRES | flags);
    sp_pg_t *pg = harness ? sp_harness_pg_connect (harness, application, partitions) : NULL;
    if (!pg)
        sp_harness_destroy (&harness);
    if (pg_p)
        *pg_p = pg;
    else
        sp_pg_destroy (&pg);
    return harness;
}

int64_t
sp_harness_pg_count (sp_pg_t *pg, const char *sql)
{
    sp_pg_result_t *result = sp_pg_exec (pg, sql, 0, NULL, NULL, NULL);
    if (sp_pg_result_connection_lost (result)) {
        sp_pg_result_destroy (&result);
        result = sp_pg_exec (pg, sql, 0, NULL, NULL, NULL);
    }
    int64_t value = -1;
    if (!sp_pg_result_ok (result) || sp_pg_result_int64 (result, 0, 0, &value) != 0) {
        fprintf (stderr, "sp_harness: query gave no number: \"%s\"\n", sql);
        value = -1;
    }
    sp_pg_result_destroy (&result);
    return value;
}

int
sp_harness_pg_clear_events (sp_pg_t *pg)
{
    sp_pg_result_t *result =
        sp_pg_exec_script (pg, "TRUNCATE events, dead_letters, event_conflicts; "
                               "UPDATE event_partitions SET head_sequence = 0");
    int rc = sp_pg_result_ok (result) ? 0 : -1;
    sp_pg_result_destroy (&result);
    return rc;
}

int64_t
sp_harness_pg_partition_gaps (sp_pg_t *pg)
{
    return sp_harness_pg_count (pg, SP_HARNESS_PG_GAPS_SQL);
}

#define S_URL_SIZE 512
#define S_POLL_NS (50 * 1000 * 1000)

sp_pg_t *
sp_harness_pg_replica_connect (const sp_harness_t *harness, const char *application)
{
    /* the replica's URL names the harness's role; the superuser is postgres */
    const char *url = sp_harness_replica_url (harness);
    const char *at = url ? strchr (url, '@') : NULL;
    if (!at) {
        fprintf (stderr, "sp_harness: no replica to connect to (sp_harness_replica_start)\n");
        return NULL;
    }
    char superuser[S_URL_SIZE];
    snprintf (superuser, sizeof superuser, "postgresql://postgres%s", at);
    sp_pg_t *pg = sp_pg_new (superuser, application);
    if (!pg || sp_pg_connect (pg) != 0) {
        fprintf (stderr, "sp_harness: could not connect to the replica: %s\n",
                 pg ? sp_pg_error (pg) : "out of memory");
        sp_pg_destroy (&pg);
    }
    return pg;
}

int
sp_harness_pg_run (sp_pg_t *pg, const char *sql)
{
    sp_pg_result_t *result = sp_pg_exec (pg, sql, 0, NULL, NULL, NULL);
    int rc = sp_pg_result_ok (result) ? 0 : -1;
    if (rc != 0)
        fprintf (stderr, "sp_harness: \"%s\" failed: %s\n", sql, sp_pg_result_error (result));
    sp_pg_result_destroy (&result);
    return rc;
}

int
sp_harness_pg_wait_count (sp_pg_t *pg, const char *sql, int64_t expected, int timeout_ms)
{
    int64_t deadline = sp_harness_now_ms () + timeout_ms;
    int64_t count;
    while ((count = sp_harness_pg_count (pg, sql)) != expected) {
        if (sp_harness_now_ms () > deadline) {
            fprintf (stderr, "sp_harness: \"%s\" gave %lld, not %lld, within %d ms\n", sql,
                     (long long) count, (long long) expected, timeout_ms);
            return -1;
        }
        struct timespec pause = { 0, S_POLL_NS };
        nanosleep (&pause, NULL);
    }
    return 0;
}
