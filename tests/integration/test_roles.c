/*  test_roles - least privilege on PostgreSQL and Redis (issue 14, part 2).

    The harness starts its servers in secure mode (SP_HARNESS_SECURE, as
    the local stack runs them): PostgreSQL with scram-sha-256, a login role
    per service in the group role migration 0012 grants, Redis with an ACL
    user per service. Each service's role may not UPDATE, DELETE or
    TRUNCATE the event log; a consumer's role may not write another
    service's table; salesctl's read-only role may not write at all; a
    connection without the password is refused. One service's Redis user
    can neither read nor write another's keys, not even from a script, and
    may not FLUSHALL; salesctl's user reads every key (its script runs as
    EVALSHA_RO), writes only rebuild requests and may not run dangerous
    commands; the default user is off. activity-ingest, run as its
    own role and Redis user, still stores an event. salesctl's query
    commands connect as the read-only role when SP_POSTGRES_READONLY_URL
    (--postgres-readonly) is set; its writing commands keep --postgres and
    are refused as that role.
*/
#include <limits.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <czmq.h>

#include "sp_event.h"
#include "sp_harness.h"
#include "sp_harness_pg.h"
#include "sp_harness_publisher.h"
#include "sp_harness_request.h"
#include "sp_outbox.h"
#include "sp_pg.h"
#include "sp_redis.h"

#define TEST_PARTITIONS 4
#define TEST_URL_MAX 768
#define TEST_ERROR_MAX 512
#define TEST_ENDPOINT_MAX 64
#define TEST_SETTING_MAX 800
#define TEST_START_TIMEOUT_MS 60000
#define TEST_STOP_TIMEOUT_MS 30000
#define TEST_DEADLINE_MS 30000
#define TEST_POLL_MS 20
#define TEST_REPLY_TIMEOUT_MS 30000
#define SQLSTATE_PERMISSION_DENIED "42501" /* insufficient_privilege */

/* Every service's login role, then salesctl's read-only one. */
static const char *const s_roles[] = {
    "activity_ingest", "funnel_tracker",       "kpi_evaluator",
    "churn_alerting",  "incentive_calculator", "salesctl_reader"
};

typedef struct {
    sp_harness_t *harness; /* secure PostgreSQL and Redis */
    sp_pg_t *owner;        /* the owner's connection (salespulse) */
} s_fixture_t;

static int
s_setup (void **state)
{
    s_fixture_t *fixture = calloc (1, sizeof *fixture);
    if (!fixture)
        return -1;
    *state = fixture;
    fixture->harness = sp_harness_new (SP_HARNESS_POSTGRES | SP_HARNESS_REDIS | SP_HARNESS_SECURE);
    if (!fixture->harness)
        return -1;
    fixture->owner = sp_harness_pg_connect (fixture->harness, "test_roles", TEST_PARTITIONS);
    return fixture->owner ? 0 : -1;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = *state;
    if (fixture) {
        sp_pg_destroy (&fixture->owner);
        sp_harness_destroy (&fixture->harness);
        free (fixture);
    }
    return 0;
}

/* A connection as login role role. */
static sp_pg_t *
s_connect_as (const s_fixture_t *fixture, const char *role)
{
    char url[TEST_URL_MAX];
    assert_int_equal (sp_harness_postgres_url_as (fixture->harness, role, url, sizeof url), 0);
    sp_pg_t *pg = sp_pg_new (url, "test_roles");
    assert_non_null (pg);
    if (sp_pg_connect (pg) != 0)
        fail_msg ("could not connect as %s: %s", role, sp_pg_error (pg));
    return pg;
}

/* Runs sql, which must fail with permission denied. */
static void
s_assert_denied (sp_pg_t *pg, const char *role, const char *sql)
{
    sp_pg_result_t *result = sp_pg_exec (pg, sql, 0, NULL, NULL, NULL);
    if (!sp_pg_result_is (result, SQLSTATE_PERMISSION_DENIED))
        fail_msg ("%s: \"%s\" gave %s (%s), not permission denied", role, sql,
                  sp_pg_result_ok (result) ? "success" : sp_pg_result_sqlstate (result),
                  sp_pg_result_ok (result) ? "" : sp_pg_result_error (result));
    sp_pg_result_destroy (&result);
}

/* Runs sql, which must succeed. */
static void
s_assert_allowed (sp_pg_t *pg, const char *role, const char *sql)
{
    sp_pg_result_t *result = sp_pg_exec (pg, sql, 0, NULL, NULL, NULL);
    if (!sp_pg_result_ok (result))
        fail_msg ("%s: \"%s\" failed: %s", role, sql, sp_pg_result_error (result));
    sp_pg_result_destroy (&result);
}

/* Puts one event in the log as the owner, so an UPDATE or DELETE that
   were allowed would change a row. */
static void
s_log_one_event (s_fixture_t *fixture)
{
    s_assert_allowed (fixture->owner, "salespulse",
                      "INSERT INTO events (partition, sequence, event_id, type, occurred_at, "
                      "ingested_at, content_hash, payload) SELECT 0, 1, 'roles-1', 'call', 0, 0, "
                      "'\\x00', '\\x00' WHERE NOT EXISTS (SELECT 1 FROM events WHERE event_id = "
                      "'roles-1')");
}

static void
test_no_role_changes_the_log (void **state)
{
    s_fixture_t *fixture = *state;
    s_log_one_event (fixture);
    for (size_t index = 0; index < sizeof s_roles / sizeof s_roles[0]; index++) {
        sp_pg_t *pg = s_connect_as (fixture, s_roles[index]);
        s_assert_denied (pg, s_roles[index], "UPDATE events SET type = 'forged'");
        s_assert_denied (pg, s_roles[index], "DELETE FROM events");
        s_assert_denied (pg, s_roles[index], "TRUNCATE events");
        s_assert_denied (pg, s_roles[index], "UPDATE dead_letters SET reason = 'forged'");
        s_assert_denied (pg, s_roles[index], "DELETE FROM dead_letters");
        s_assert_denied (pg, s_roles[index], "DELETE FROM event_partitions");
        s_assert_denied (pg, s_roles[index], "UPDATE salespulse_settings SET value = '1'");
        s_assert_denied (pg, s_roles[index], "DROP TABLE events");
        sp_pg_destroy (&pg);
    }
    assert_int_equal (
        sp_harness_pg_count (fixture->owner, "SELECT count(*) FROM events WHERE type = 'call'"), 1);
}

static void
test_ingest_appends_only (void **state)
{
    s_fixture_t *fixture = *state;
    sp_pg_t *pg = s_connect_as (fixture, "activity_ingest");
    s_assert_allowed (pg, "activity_ingest", "SELECT count(*) FROM events");
    s_assert_allowed (
        pg, "activity_ingest",
        "UPDATE event_partitions SET head_sequence = head_sequence WHERE partition = 0");
    s_assert_denied (pg, "activity_ingest", "UPDATE event_partitions SET partition = 99");
    s_assert_denied (pg, "activity_ingest", "SELECT * FROM dead_letters");
    s_assert_denied (pg, "activity_ingest",
                     "INSERT INTO reference_data (kind, name, version, "
                     "document, content_hash, loaded_by) VALUES ('x', 'x', "
                     "1, '{}', sha256('{}'), 'x')");
    s_assert_denied (pg, "activity_ingest", "SELECT * FROM funnel_notices");
    sp_pg_destroy (&pg);
}

static void
test_consumers_write_only_their_own_tables (void **state)
{
    s_fixture_t *fixture = *state;
    /* Each consumer, a table of its own and one of another service. */
    static const struct {
        const char *role;
        const char *own;
        const char *other_write;
    } cases[] = {
        { "funnel_tracker", "SELECT count(*) FROM funnel_notice_conditions",
          "DELETE FROM kpi_forecasts" },
        { "kpi_evaluator", "SELECT count(*) FROM kpi_forecasts",
          "DELETE FROM funnel_notice_conditions" },
        { "churn_alerting", "SELECT count(*) FROM churn_customers",
          "INSERT INTO incentive_statements SELECT * FROM incentive_statements" },
        { "incentive_calculator", "SELECT count(*) FROM incentive_statements",
          "UPDATE churn_customers SET revision = revision" },
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases[0]; index++) {
        sp_pg_t *pg = s_connect_as (fixture, cases[index].role);
        s_assert_allowed (pg, cases[index].role, cases[index].own);
        s_assert_allowed (pg, cases[index].role, "SELECT count(*) FROM events");
        s_assert_allowed (pg, cases[index].role, "SELECT count(*) FROM quarantined_events");
        s_assert_denied (pg, cases[index].role, cases[index].other_write);
        s_assert_denied (pg, cases[index].role,
                         "INSERT INTO reference_data (kind, name, version, "
                         "document, content_hash, loaded_by) VALUES ('x', "
                         "'x', 1, '{}', sha256('{}'), 'x')");
        s_assert_denied (pg, cases[index].role, "INSERT INTO events SELECT * FROM events");
        s_assert_denied (pg, cases[index].role, "DELETE FROM quarantined_events");
        sp_pg_destroy (&pg);
    }
}

/* The rows consumers share (quarantine records, outbox heads) belong to
   one service each (migration 0013): a consumer's role sees and writes its
   own, cannot touch another's, cannot add rows in another's name; the
   read-only role sees all. */
static void
test_consumers_keep_to_their_shared_rows (void **state)
{
    s_fixture_t *fixture = *state;
    s_assert_allowed (fixture->owner, "salespulse",
                      "INSERT INTO quarantined_events (service, partition, sequence, event_id, "
                      "type, attempts, error) VALUES ('funnel-tracker', 0, 1, 'e1', 'call', 1, "
                      "'funnel'), ('kpi-evaluator', 0, 1, 'e1', 'call', 1, 'kpi')");
    sp_pg_t *funnel = s_connect_as (fixture, "funnel_tracker");
    assert_int_equal (sp_harness_pg_count (funnel, "SELECT count(*) FROM quarantined_events"), 1);
    assert_int_equal (sp_harness_pg_count (funnel, "SELECT count(*) FROM outbox_streams"), 1);
    s_assert_allowed (funnel, "funnel_tracker",
                      "UPDATE quarantined_events SET attempts = attempts + 1");
    s_assert_allowed (funnel, "funnel_tracker", "UPDATE outbox_streams SET head = head + 5");
    s_assert_allowed (funnel, "funnel_tracker",
                      "INSERT INTO quarantined_events (service, partition, sequence, event_id, "
                      "type, attempts, error) VALUES ('funnel-tracker', 1, 1, 'e2', 'call', 1, "
                      "'x')");
    s_assert_denied (funnel, "funnel_tracker",
                     "INSERT INTO quarantined_events (service, partition, sequence, event_id, "
                     "type, attempts, error) VALUES ('kpi-evaluator', 1, 1, 'e2', 'call', 1, 'x')");
    s_assert_denied (funnel, "funnel_tracker",
                     "UPDATE quarantined_events SET service = 'kpi-evaluator'");
    s_assert_denied (funnel, "funnel_tracker",
                     "INSERT INTO outbox_streams (stream, head) VALUES ('churn-alerts-2', 0)");
    /* Through the real claim: its own stream moves, another's is refused. */
    char error[TEST_ERROR_MAX] = "";
    int64_t sequence = 0;
    assert_int_equal (sp_pg_begin (funnel), 0);
    assert_int_equal (sp_outbox_claim (funnel, "funnel-notices", &sequence, error, sizeof error), 0);
    assert_int_equal (sp_pg_commit (funnel), 0);
    assert_int_equal (sequence, 6);
    assert_int_equal (sp_pg_begin (funnel), 0);
    assert_int_not_equal (sp_outbox_claim (funnel, "kpi-warnings", &sequence, error, sizeof error),
                          0);
    assert_non_null (strstr (error, "row-level security"));
    assert_int_equal (sp_pg_rollback (funnel), 0);
    sp_pg_destroy (&funnel);

    /* Nothing of kpi-evaluator's changed; the read-only role sees all. */
    assert_int_equal (sp_harness_pg_count (fixture->owner,
                                           "SELECT attempts FROM quarantined_events "
                                           "WHERE service = 'kpi-evaluator'"),
                      1);
    assert_int_equal (sp_harness_pg_count (fixture->owner, "SELECT sum(head) FROM outbox_streams "
                                                           "WHERE stream <> 'funnel-notices'"),
                      0);
    sp_pg_t *reader = s_connect_as (fixture, "salesctl_reader");
    assert_int_equal (sp_harness_pg_count (reader, "SELECT count(*) FROM quarantined_events"), 3);
    assert_int_equal (sp_harness_pg_count (reader, "SELECT count(*) FROM outbox_streams"), 4);
    sp_pg_destroy (&reader);
    s_assert_allowed (fixture->owner, "salespulse", "DELETE FROM quarantined_events");
    s_assert_allowed (fixture->owner, "salespulse", "UPDATE outbox_streams SET head = 0");
}

static void
test_readonly_role_reads_only (void **state)
{
    s_fixture_t *fixture = *state;
    sp_pg_t *pg = s_connect_as (fixture, "salesctl_reader");
    s_assert_allowed (pg, "salesctl_reader", "SELECT count(*) FROM events");
    s_assert_allowed (pg, "salesctl_reader", "SELECT count(*) FROM reference_data");
    s_assert_allowed (pg, "salesctl_reader", "SELECT count(*) FROM churn_alerts");
    s_assert_denied (pg, "salesctl_reader",
                     "INSERT INTO reference_data (kind, name, version, document, content_hash, "
                     "loaded_by) VALUES ('x', 'x', 1, '{}', sha256('{}'), 'x')");
    s_assert_denied (pg, "salesctl_reader", "UPDATE event_partitions SET head_sequence = 0");
    s_assert_denied (pg, "salesctl_reader", "DELETE FROM quarantined_events");
    s_assert_denied (pg, "salesctl_reader", "CREATE TABLE intruder (x integer)");
    sp_pg_destroy (&pg);
}

static void
test_password_required (void **state)
{
    s_fixture_t *fixture = *state;
    char url[TEST_URL_MAX];
    snprintf (url, sizeof url,
              "postgresql://funnel_tracker@127.0.0.1:%d/salespulse?passfile=%s/no-such.pgpass",
              sp_harness_postgres_port (fixture->harness), sp_harness_dir (fixture->harness));
    sp_pg_t *pg = sp_pg_new (url, "test_roles");
    assert_non_null (pg);
    sp_pg_set_retry (pg, 1, 1, 1);
    assert_int_not_equal (sp_pg_connect (pg), 0);
    sp_pg_destroy (&pg);
    snprintf (
        url, sizeof url,
        "postgresql://funnel_tracker:wrong@127.0.0.1:%d/salespulse?passfile=%s/no-such.pgpass",
        sp_harness_postgres_port (fixture->harness), sp_harness_dir (fixture->harness));
    pg = sp_pg_new (url, "test_roles");
    assert_non_null (pg);
    sp_pg_set_retry (pg, 1, 1, 1);
    assert_int_not_equal (sp_pg_connect (pg), 0);
    assert_non_null (strstr (sp_pg_error (pg), "password authentication failed"));
    assert_null (strstr (sp_pg_error (pg), "wrong"));
    sp_pg_destroy (&pg);
}

/* A connection as Redis ACL user user. */
static sp_redis_t *
s_redis_as (const s_fixture_t *fixture, const char *user)
{
    char url[TEST_URL_MAX], error[TEST_ERROR_MAX] = "";
    assert_int_equal (sp_harness_redis_url_as (fixture->harness, user, url, sizeof url), 0);
    sp_redis_t *redis = sp_redis_new (url, NULL, error, sizeof error);
    if (!redis || sp_redis_connect (redis, error, sizeof error) != 0)
        fail_msg ("could not connect to redis as %s: %s", user, error);
    return redis;
}

/* Runs a command of C strings; it must succeed. */
static void
s_redis_allowed (sp_redis_t *redis, const char *user, int argc, const char *const *argv)
{
    char error[TEST_ERROR_MAX] = "";
    sp_redis_reply_t *reply = sp_redis_command (redis, argc, argv, NULL, error, sizeof error);
    if (!reply)
        fail_msg ("%s: %s %s failed: %s", user, argv[0], argc > 1 ? argv[1] : "", error);
    sp_redis_reply_destroy (&reply);
}

/* Runs a command of C strings; Redis must refuse it for the user's ACL:
   NOPERM, or from a script "The user executing the script can't access". */
static void
s_redis_denied (sp_redis_t *redis, const char *user, int argc, const char *const *argv)
{
    char error[TEST_ERROR_MAX] = "";
    sp_redis_reply_t *reply = sp_redis_command (redis, argc, argv, NULL, error, sizeof error);
    if (reply || (!strstr (error, "NOPERM") && !strstr (error, "user executing the script can't")))
        fail_msg ("%s: %s %s was not refused by its ACL: \"%s\"", user, argv[0],
                  argc > 1 ? argv[1] : "", error);
    sp_redis_reply_destroy (&reply);
}

static void
test_redis_users_keep_to_their_keys (void **state)
{
    s_fixture_t *fixture = *state;
    sp_redis_t *funnel = s_redis_as (fixture, "funnel-tracker");
    sp_redis_t *kpi = s_redis_as (fixture, "kpi-evaluator");
    s_redis_allowed (funnel, "funnel-tracker", 3,
                     (const char *[]){ "SET", "funnel-tracker:{p0}:checkpoint", "7" });
    s_redis_allowed (kpi, "kpi-evaluator", 3,
                     (const char *[]){ "SET", "kpi-evaluator:{p0}:checkpoint", "9" });
    s_redis_allowed (funnel, "funnel-tracker", 3,
                     (const char *[]){ "SADD", "salespulse:services", "funnel-tracker" });

    s_redis_denied (funnel, "funnel-tracker", 2,
                    (const char *[]){ "GET", "kpi-evaluator:{p0}:checkpoint" });
    s_redis_denied (funnel, "funnel-tracker", 3,
                    (const char *[]){ "SET", "kpi-evaluator:{p0}:checkpoint", "0" });
    s_redis_denied (funnel, "funnel-tracker", 2,
                    (const char *[]){ "DEL", "kpi-evaluator:{p0}:checkpoint" });
    s_redis_denied (kpi, "kpi-evaluator", 2,
                    (const char *[]){ "GET", "funnel-tracker:{p0}:checkpoint" });
    /* A script is checked key by key too, declared or not. */
    s_redis_denied (funnel, "funnel-tracker", 4,
                    (const char *[]){ "EVAL", "return redis.call('GET', KEYS[1])", "1",
                                      "kpi-evaluator:{p0}:checkpoint" });
    s_redis_denied (funnel, "funnel-tracker", 4,
                    (const char *[]){ "EVAL",
                                      "return redis.call('SET', 'kpi-evaluator:{p0}:checkpoint', "
                                      "'0')",
                                      "1", "funnel-tracker:{p0}:checkpoint" });
    s_redis_denied (funnel, "funnel-tracker", 1, (const char *[]){ "FLUSHALL" });
    s_redis_denied (funnel, "funnel-tracker", 2, (const char *[]){ "KEYS", "*" });
    s_redis_denied (funnel, "funnel-tracker", 4,
                    (const char *[]){ "CONFIG", "SET", "appendonly", "yes" });
    s_redis_denied (funnel, "funnel-tracker", 3,
                    (const char *[]){ "PUBLISH", "anything", "forged" });

    /* salesctl reads every service's keys, runs its read-only script,
       writes only rebuild requests and runs no dangerous command. */
    sp_redis_t *salesctl = s_redis_as (fixture, "salesctl");
    s_redis_allowed (salesctl, "salesctl", 2,
                     (const char *[]){ "GET", "kpi-evaluator:{p0}:checkpoint" });
    s_redis_allowed (salesctl, "salesctl", 2, (const char *[]){ "INCR", "funnel-tracker:rebuild" });
    s_redis_allowed (salesctl, "salesctl", 4,
                     (const char *[]){ "EVAL_RO", "return redis.call('GET', KEYS[1])", "1",
                                       "kpi-evaluator:{p0}:checkpoint" });
    s_redis_denied (salesctl, "salesctl", 3,
                    (const char *[]){ "SET", "kpi-evaluator:{p0}:checkpoint", "0" });
    s_redis_denied (salesctl, "salesctl", 2,
                    (const char *[]){ "DEL", "funnel-tracker:{p0}:checkpoint" });
    s_redis_denied (salesctl, "salesctl", 4,
                    (const char *[]){ "EVAL", "return redis.call('GET', KEYS[1])", "1",
                                      "kpi-evaluator:{p0}:checkpoint" });
    s_redis_denied (salesctl, "salesctl", 2, (const char *[]){ "KEYS", "*" });
    s_redis_denied (salesctl, "salesctl", 1, (const char *[]){ "FLUSHALL" });

    /* Nothing was changed by a refused command. */
    sp_redis_t *admin = s_redis_as (fixture, "admin");
    sp_redis_reply_t *reply = sp_redis_command (
        admin, 2, (const char *[]){ "GET", "kpi-evaluator:{p0}:checkpoint" }, NULL, NULL, 0);
    assert_non_null (reply);
    assert_string_equal (sp_redis_reply_text (reply, NULL), "9");
    sp_redis_reply_destroy (&reply);
    sp_redis_destroy (&admin);
    sp_redis_destroy (&salesctl);
    sp_redis_destroy (&kpi);
    sp_redis_destroy (&funnel);
}

static void
test_redis_default_user_is_off (void **state)
{
    s_fixture_t *fixture = *state;
    char url[TEST_URL_MAX], error[TEST_ERROR_MAX] = "";
    snprintf (url, sizeof url, "redis://127.0.0.1:%d/0", sp_harness_redis_port (fixture->harness));
    sp_redis_t *redis = sp_redis_new (url, NULL, error, sizeof error);
    assert_non_null (redis);
    if (sp_redis_connect (redis, error, sizeof error) == 0) {
        sp_redis_reply_t *reply =
            sp_redis_command (redis, 2, (const char *[]){ "GET", "funnel-tracker:{p0}:checkpoint" },
                              NULL, error, sizeof error);
        assert_null (reply);
        assert_non_null (strstr (error, "NOAUTH"));
    }
    sp_redis_destroy (&redis);
    snprintf (url, sizeof url, "redis://funnel-tracker:wrong@127.0.0.1:%d/0",
              sp_harness_redis_port (fixture->harness));
    redis = sp_redis_new (url, NULL, error, sizeof error);
    assert_non_null (redis);
    assert_int_not_equal (sp_redis_connect (redis, error, sizeof error), 0);
    assert_null (strstr (error, "wrong"));
    sp_redis_destroy (&redis);
}

/* activity-ingest as its own role and Redis user stores an event: the
   grants are enough for the real thing. */
static void
test_ingest_runs_as_its_role (void **state)
{
    s_fixture_t *fixture = *state;
    char postgres_url[TEST_URL_MAX], redis_url[TEST_URL_MAX];
    char postgres_setting[TEST_SETTING_MAX], redis_setting[TEST_SETTING_MAX];
    char endpoint[TEST_ENDPOINT_MAX], log_path[PATH_MAX];
    assert_int_equal (sp_harness_postgres_url_as (fixture->harness, "activity_ingest", postgres_url,
                                                  sizeof postgres_url),
                      0);
    assert_int_equal (
        sp_harness_redis_url_as (fixture->harness, "activity-ingest", redis_url, sizeof redis_url),
        0);
    snprintf (postgres_setting, sizeof postgres_setting, "SP_POSTGRES_URL=%s", postgres_url);
    snprintf (redis_setting, sizeof redis_setting, "SP_REDIS_URL=%s", redis_url);
    assert_int_equal (sp_harness_free_endpoint (endpoint, sizeof endpoint), 0);
    snprintf (log_path, sizeof log_path, "%s/ingest.log", sp_harness_dir (fixture->harness));
    char partitions[TEST_ENDPOINT_MAX];
    snprintf (partitions, sizeof partitions, "SP_PARTITIONS=%d", TEST_PARTITIONS);
    const char *const settings[] = { postgres_setting, redis_setting, partitions, NULL };
    pid_t pid = sp_harness_start_ingest (fixture->harness, endpoint, settings, log_path,
                                         TEST_START_TIMEOUT_MS);
    assert_true (pid > 0);

    sp_event_t *event = sp_harness_call_event ("roles-ingest-1", "customer-roles", 1);
    assert_non_null (event);
    zsock_t *client = sp_harness_dealer (endpoint);
    assert_non_null (client);
    zmsg_t *message = zmsg_new ();
    zmsg_addmem (message, NULL, 0);
    zframe_t *frame = sp_harness_request_frame (1, &event, 1);
    assert_non_null (frame);
    zmsg_append (message, &frame);
    assert_int_equal (zmsg_send (&message, client), 0);
    zsock_set_rcvtimeo (client, TEST_REPLY_TIMEOUT_MS);
    zmsg_t *reply = zmsg_recv (client);
    assert_non_null (reply);
    zmsg_destroy (&reply);
    zsock_destroy (&client);
    sp_event_destroy (&event);

    assert_int_equal (
        sp_harness_pg_count (fixture->owner,
                             "SELECT count(*) FROM events WHERE event_id = 'roles-ingest-1'"),
        1);
    assert_false (sp_harness_log_contains (log_path, "permission denied"));
    /* Neither password is in its log. */
    char password[TEST_URL_MAX];
    const char *at = strchr (redis_url + strlen ("redis://activity-ingest:"), '@');
    assert_non_null (at);
    snprintf (password, sizeof password, "%.*s",
              (int) (at - redis_url - (int) strlen ("redis://activity-ingest:")),
              redis_url + strlen ("redis://activity-ingest:"));
    assert_false (sp_harness_log_contains (log_path, password));
    assert_int_equal (sp_harness_stop (pid, TEST_STOP_TIMEOUT_MS), 0);
}

/* Runs the built salesctl with arguments and settings (environment, see
   sp_harness_spawn_with); its stderr goes to the folder's salesctl.err.
   Returns its exit status. */
static int
s_salesctl (const s_fixture_t *fixture, const char *const *settings, const char *const *arguments)
{
    char program[PATH_MAX], output_path[PATH_MAX], errors_path[PATH_MAX];
    sp_harness_program ("salesctl", program, sizeof program);
    snprintf (output_path, sizeof output_path, "%s/salesctl.out",
              sp_harness_dir (fixture->harness));
    snprintf (errors_path, sizeof errors_path, "%s/salesctl.err",
              sp_harness_dir (fixture->harness));
    sp_harness_spawn_options_t options = { .settings = settings,
                                           .arguments = arguments,
                                           .stdout_path = output_path,
                                           .stderr_path = errors_path,
                                           .truncate = true };
    pid_t pid = sp_harness_spawn_with (fixture->harness, program, &options);
    assert_true (pid > 0);
    return sp_harness_wait_exit (pid, TEST_DEADLINE_MS);
}

/* True when the last s_salesctl wrote text to its stderr. */
static bool
s_salesctl_said (const s_fixture_t *fixture, const char *text)
{
    char errors_path[PATH_MAX];
    snprintf (errors_path, sizeof errors_path, "%s/salesctl.err",
              sp_harness_dir (fixture->harness));
    return sp_harness_log_contains (errors_path, text);
}

/* salesctl's query commands connect with SP_POSTGRES_READONLY_URL
   (--postgres-readonly) when it is set; its writing commands keep
   --postgres, and as the read-only role they are refused. */
static void
test_salesctl_queries_use_the_readonly_role (void **state)
{
    s_fixture_t *fixture = *state;
    char reader[TEST_URL_MAX], reader_setting[TEST_SETTING_MAX];
    char reader_as_owner[TEST_SETTING_MAX], funnel[PATH_MAX], other_funnel[PATH_MAX];
    assert_int_equal (
        sp_harness_postgres_url_as (fixture->harness, "salesctl_reader", reader, sizeof reader), 0);
    snprintf (reader_setting, sizeof reader_setting, "SP_POSTGRES_READONLY_URL=%s", reader);
    snprintf (reader_as_owner, sizeof reader_as_owner, "SP_POSTGRES_URL=%s", reader);
    snprintf (funnel, sizeof funnel, "%s/deploy/funnels/default.json", sp_harness_source_dir ());
    snprintf (other_funnel, sizeof other_funnel, "%s/deploy/demo/crm-funnel.json",
              sp_harness_source_dir ());
    /* Nothing listens on port 1: a command that used this URL fails. */
    static const char nowhere[] = "postgresql://nobody@127.0.0.1:1/nowhere";
    const char *const owner_nowhere[] = { "SP_POSTGRES_URL=postgresql://nobody@127.0.0.1:1/nowhere",
                                          reader_setting, NULL };
    const char *const readonly_nowhere[] = {
        "SP_POSTGRES_READONLY_URL=postgresql://nobody@127.0.0.1:1/nowhere", NULL
    };

    /* A write first, as the owner, so the queries have something to read;
       the read-only URL (unreachable here) is not used by a write. */
    assert_int_equal (s_salesctl (fixture, readonly_nowhere,
                                  (const char *const[]){ "load", "funnel", funnel, NULL }),
                      0);

    /* Queries with only the read-only role reachable: environment... */
    const char *const queries[] = { "dead-letters", "quarantine", "definitions", "funnels" };
    for (size_t index = 0; index < sizeof queries / sizeof queries[0]; index++) {
        int status =
            s_salesctl (fixture, owner_nowhere, (const char *const[]){ queries[index], NULL });
        if (status != 0)
            fail_msg ("salesctl %s with only the read-only role exited %d", queries[index], status);
    }
    /* ... and flags. */
    assert_int_equal (s_salesctl (fixture, NULL,
                                  (const char *const[]){ "funnels", "--postgres", nowhere,
                                                         "--postgres-readonly", reader, NULL }),
                      0);
    /* A query uses the read-only URL when it is set, even if --postgres works. */
    assert_int_not_equal (
        s_salesctl (fixture, readonly_nowhere, (const char *const[]){ "funnels", NULL }), 0);
    assert_true (s_salesctl_said (fixture, "could not connect to postgresql"));

    /* A write with only the read-only role: permission denied, nothing stored. */
    int64_t versions = sp_harness_pg_count (fixture->owner, "SELECT count(*) FROM reference_data");
    const char *const reader_only[] = { reader_as_owner, reader_setting, NULL };
    assert_int_not_equal (
        s_salesctl (fixture, reader_only,
                    (const char *const[]){ "load", "funnel", other_funnel, NULL }),
        0);
    assert_true (s_salesctl_said (fixture, "permission denied"));
    assert_int_equal (sp_harness_pg_count (fixture->owner, "SELECT count(*) FROM reference_data"),
                      versions);
}

/* salesctl as its own Redis user (read-only but for rebuild requests):
   `status` reads another process's instance through its read-only
   script, `rebuild` raises the epoch. */
static void
test_salesctl_redis_user_reads_and_requests_rebuilds (void **state)
{
    s_fixture_t *fixture = *state;
    char redis_url[TEST_URL_MAX], reader[TEST_URL_MAX];
    char redis_setting[TEST_SETTING_MAX], reader_setting[TEST_SETTING_MAX];
    char output_path[PATH_MAX];
    assert_int_equal (
        sp_harness_redis_url_as (fixture->harness, "salesctl", redis_url, sizeof redis_url), 0);
    assert_int_equal (
        sp_harness_postgres_url_as (fixture->harness, "salesctl_reader", reader, sizeof reader), 0);
    snprintf (redis_setting, sizeof redis_setting, "SP_REDIS_URL=%s", redis_url);
    snprintf (reader_setting, sizeof reader_setting, "SP_POSTGRES_READONLY_URL=%s", reader);
    snprintf (output_path, sizeof output_path, "%s/salesctl.out",
              sp_harness_dir (fixture->harness));
    const char *const settings[] = { redis_setting, reader_setting, NULL };

    /* An instance of kpi-evaluator, as its heartbeat writes it. */
    sp_redis_t *admin = s_redis_as (fixture, "admin");
    s_redis_allowed (admin, "admin", 3,
                     (const char *[]){ "SADD", "salespulse:services", "kpi-evaluator" });
    s_redis_allowed (admin, "admin", 4,
                     (const char *[]){ "ZADD", "kpi-evaluator:{kpi-evaluator}:members",
                                       "99999999999999", "roles-instance" });
    s_redis_allowed (admin, "admin", 3,
                     (const char *[]){ "SET", "kpi-evaluator:{kpi-evaluator}:instance:roles-instance",
                                       "{\"instance\":\"roles-instance\",\"partitions\":[]}" });
    assert_int_equal (s_salesctl (fixture, settings,
                                  (const char *const[]){ "status", "--service", "kpi-evaluator",
                                                         "--json", NULL }),
                      0);
    assert_true (sp_harness_log_contains (output_path, "roles-instance"));

    sp_redis_reply_t *reply = sp_redis_command (
        admin, 2, (const char *[]){ "INCR", "kpi-evaluator:rebuild" }, NULL, NULL, 0);
    assert_non_null (reply);
    int64_t epoch = sp_redis_reply_integer (reply);
    sp_redis_reply_destroy (&reply);
    assert_int_equal (
        s_salesctl (fixture, settings, (const char *const[]){ "rebuild", "kpi-evaluator", NULL }),
        0);
    reply = sp_redis_command (admin, 2, (const char *[]){ "GET", "kpi-evaluator:rebuild" }, NULL,
                              NULL, 0);
    assert_non_null (reply);
    char expected[TEST_SETTING_MAX];
    snprintf (expected, sizeof expected, "%lld", (long long) (epoch + 1));
    assert_string_equal (sp_redis_reply_text (reply, NULL), expected);
    sp_redis_reply_destroy (&reply);
    sp_redis_destroy (&admin);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_no_role_changes_the_log),
        cmocka_unit_test (test_ingest_appends_only),
        cmocka_unit_test (test_consumers_write_only_their_own_tables),
        cmocka_unit_test (test_consumers_keep_to_their_shared_rows),
        cmocka_unit_test (test_readonly_role_reads_only),
        cmocka_unit_test (test_password_required),
        cmocka_unit_test (test_redis_users_keep_to_their_keys),
        cmocka_unit_test (test_redis_default_user_is_off),
        cmocka_unit_test (test_ingest_runs_as_its_role),
        cmocka_unit_test (test_salesctl_queries_use_the_readonly_role),
        cmocka_unit_test (test_salesctl_redis_user_reads_and_requests_rebuilds),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
