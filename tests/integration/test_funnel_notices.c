/*  test_funnel_notices - funnel bottleneck notices end to end: Redis day
    hashes in, PostgreSQL rows and PUB messages out, salesctl notices.

    Starts the harness's PostgreSQL (migrated: migrations/0004 holds the
    notice tables) and Redis, and in this process two sp_service objects
    with a funnel_notifier each (the way funnel_tracker.c creates it), on
    one catalog holding the demo's CRM funnel (won: 50 % of lead, at
    least 20 leads). The tests write the day hashes of funnel_keys.h
    straight into Redis, as funnel_apply would, call
    funnel_notifier_evaluate and check what a subscriber and the database
    see: a firing notice once however often it is evaluated, sequence 1;
    a cleared one (recovered, or sample below the minimum) with the next
    sequence; the window of days, which judges only cohorts old enough to
    have converted (the target's maturity_days: a young cohort never
    fires, a mature one does); two instances evaluating the same data
    at the same moment store and publish each transition once; a target
    removed by a new funnel version clears what it raised; `salesctl
    notices` lists the firing set and the history, and `salesctl notices
    --follow` prints a notice published while it runs and repairs a
    sequence gap from PostgreSQL.

    ZeroMQ subscriptions take effect asynchronously, so before a test
    counts messages it makes sure its SUB socket receives from a
    notifier: it flips a warm-up condition until one notice arrives, then
    empties the tables and Redis (s_wait_subscribed). No sleeps.
*/
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <czmq.h>

#include "funnel_catalog.h"
#include "funnel_keys.h"
#include "funnel_notice.h"
#include "funnel_notice_store.h"
#include "funnel_notifier.h"
#include "sp_harness.h"
#include "sp_harness_consumer.h"
#include "sp_harness_pg.h"
#include "sp_harness_redis.h"
#include "sp_proto.h"
#include "sp_service.h"
#include "sp_zmq.h"

#define TEST_PARTITIONS 4
#define TEST_ERROR_SIZE 512
#define TEST_TEXT_SIZE 256
#define TEST_OUTPUT_SIZE 65536
#define TEST_ARGS 10
#define TEST_RECEIVE_MS 5000     /* waiting for a notice that must come */
#define TEST_QUIET_MS 300        /* listening for a notice that must not come */
#define TEST_WARM_UP_POLL_MS 100 /* between two warm-up notices */
#define TEST_WARM_UP_TIMEOUT_MS 30000
#define TEST_RUN_TIMEOUT_MS 60000 /* one salesctl run (sanitizer builds are slow) */
#define TEST_FOLLOW_SECONDS "120" /* safety stop of salesctl notices --follow */
#define TEST_STEP_WON 3           /* the won step, 1-based: fields sample:3 / converted:3 */

/* 2019-01-01T12:00:00Z: the newest event applied. The won target waits
   maturity_days, by default the funnel's window_days (365), after a
   cohort's day, so the window ends 366 days before: 2017-12-02..2017-12-31. */
#define TEST_LATEST_MS "1546344000000"

static const char s_crm[] =
    "{\"name\":\"crm\",\"mode\":\"pipeline\",\"window_days\":365,\"steps\":["
    "{\"name\":\"lead\",\"event\":\"lead_created\",\"probability\":0.1},"
    "{\"name\":\"engaging\",\"event\":\"stage_changed\",\"stage\":\"Engaging\","
    "\"probability\":0.5},"
    "{\"name\":\"won\",\"event\":\"deal_won\",\"outcome\":\"won\",\"probability\":1,"
    "\"target\":{\"conversion\":0.5,\"from\":\"lead\",\"min_sample\":20}},"
    "{\"name\":\"lost\",\"event\":\"deal_lost\",\"outcome\":\"lost\",\"probability\":0}]}";

/* The same funnel, version 2, without the target. */
static const char s_crm_untargeted[] =
    "{\"name\":\"crm\",\"mode\":\"pipeline\",\"window_days\":365,\"steps\":["
    "{\"name\":\"lead\",\"event\":\"lead_created\",\"probability\":0.1},"
    "{\"name\":\"won\",\"event\":\"deal_won\",\"outcome\":\"won\",\"probability\":1},"
    "{\"name\":\"lost\",\"event\":\"deal_lost\",\"outcome\":\"lost\",\"probability\":0}]}";

static const sp_config_option_t s_options[] = {
    { "http", "SP_HTTP", SP_CONFIG_STRING, "127.0.0.1:0", "/healthz and /metrics", 0, 0 },
    FUNNEL_NOTIFIER_OPTIONS,
};

static const sp_service_spec_t s_spec = { "funnel-tracker", "notices under test", s_options,
                                          sizeof s_options / sizeof s_options[0] };

/* One in-process funnel-tracker: its service and its notifier. */
typedef struct {
    sp_service_t *service;       /* connections, metrics, reactor */
    funnel_notifier_t *notifier; /* under test */
} s_instance_t;

typedef struct {
    sp_harness_t *harness;         /* PostgreSQL + Redis */
    sp_pg_t *pg;                   /* the test's connection */
    sp_redis_t *redis;             /* the test's connection */
    funnel_catalog_t *catalog;     /* crm, version 1 */
    funnel_catalog_t *untargeted;  /* crm, version 2 without a target */
    s_instance_t first;            /* instance A */
    s_instance_t second;           /* instance B */
    zsock_t *subscriber;           /* SUB connected to both notifiers */
    char stderr_path[PATH_MAX];    /* last salesctl stderr */
    char output[TEST_OUTPUT_SIZE]; /* last salesctl stdout */
} s_fixture_t;

/* ---------------------------------------------------------------- set-up */

static funnel_catalog_t *
s_catalog (const char *text, int64_t version)
{
    char error[TEST_ERROR_SIZE];
    funnel_catalog_t *catalog = funnel_catalog_new ();
    funnel_definition_t *definition =
        funnel_definition_new (text, strlen (text), error, sizeof error);
    if (!catalog || !definition ||
        funnel_catalog_add (catalog, &definition, version, error, sizeof error) != 0) {
        fprintf (stderr, "test_funnel_notices: catalog: %s\n", error);
        funnel_definition_destroy (&definition);
        funnel_catalog_destroy (&catalog);
    }
    return catalog;
}

/* Starts a service and its notifier on catalog; returns 0 or -1. */
static int
s_instance_start (s_fixture_t *fixture, s_instance_t *instance, const funnel_catalog_t *catalog)
{
    char postgres[TEST_TEXT_SIZE], redis[TEST_TEXT_SIZE], partitions[TEST_TEXT_SIZE];
    snprintf (postgres, sizeof postgres, "--postgres=%s",
              sp_harness_postgres_url (fixture->harness));
    snprintf (redis, sizeof redis, "--redis=%s", sp_harness_redis_url (fixture->harness));
    snprintf (partitions, sizeof partitions, "--partitions=%d", TEST_PARTITIONS);
    char *argv[TEST_ARGS] = { (char *) "funnel-tracker",
                              postgres,
                              redis,
                              partitions,
                              (char *) "--http=127.0.0.1:0",
                              (char *) "--notices=tcp://127.0.0.1:*",
                              (char *) "--time-zone=UTC",
                              (char *) "--log-level=warn",
                              NULL };
    int exit_code = 0;
    instance->service = sp_service_new (&s_spec, 8, argv, &exit_code);
    if (!instance->service || sp_service_start (instance->service) != 0)
        return -1;
    char error[TEST_ERROR_SIZE];
    instance->notifier =
        funnel_notifier_new (instance->service, catalog, TEST_PARTITIONS, error, sizeof error);
    if (!instance->notifier) {
        fprintf (stderr, "test_funnel_notices: notifier: %s\n", error);
        return -1;
    }
    return 0;
}

static void
s_instance_stop (s_instance_t *instance)
{
    funnel_notifier_destroy (&instance->notifier);
    sp_service_destroy (&instance->service);
}

static int
s_setup (void **state)
{
    s_fixture_t *fixture = calloc (1, sizeof *fixture);
    if (!fixture)
        return -1;
    *state = fixture;
    fixture->harness = sp_harness_pg_fixture ("test_funnel_notices", TEST_PARTITIONS, &fixture->pg);
    if (!fixture->harness)
        return -1;
    fixture->redis = sp_harness_redis_connect (fixture->harness);
    fixture->catalog = s_catalog (s_crm, 1);
    fixture->untargeted = s_catalog (s_crm_untargeted, 2);
    if (!fixture->redis || !fixture->catalog || !fixture->untargeted ||
        s_instance_start (fixture, &fixture->first, fixture->catalog) != 0 ||
        s_instance_start (fixture, &fixture->second, fixture->catalog) != 0)
        return -1;
    snprintf (fixture->stderr_path, sizeof fixture->stderr_path, "%s/salesctl.err",
              sp_harness_dir (fixture->harness));
    char endpoints[TEST_TEXT_SIZE * 2];
    snprintf (endpoints, sizeof endpoints, "%s,%s",
              funnel_notifier_endpoint (fixture->first.notifier),
              funnel_notifier_endpoint (fixture->second.notifier));
    static const char *const topics[] = { FUNNEL_NOTICE_TOPIC_PREFIX };
    sp_zmq_options_t options;
    sp_zmq_options_init (&options, ZMQ_SUB);
    options.endpoints = endpoints;
    options.subscriptions = topics;
    options.subscription_count = 1;
    char error[TEST_ERROR_SIZE];
    fixture->subscriber = sp_zmq_socket_new (&options, error, sizeof error);
    if (!fixture->subscriber) {
        fprintf (stderr, "test_funnel_notices: subscriber: %s\n", error);
        return -1;
    }
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = *state;
    if (fixture) {
        sp_zmq_socket_destroy (&fixture->subscriber);
        s_instance_stop (&fixture->first);
        s_instance_stop (&fixture->second);
        funnel_catalog_destroy (&fixture->catalog);
        funnel_catalog_destroy (&fixture->untargeted);
        sp_redis_destroy (&fixture->redis);
        sp_pg_destroy (&fixture->pg);
        sp_harness_destroy (&fixture->harness);
        free (fixture);
    }
    return 0;
}

/* ---------------------------------------------------------------- data */

/* Sets the won target's counts of one day hash. */
static void
s_day (s_fixture_t *fixture, uint32_t partition, const char *scope, const char *day, int64_t sample,
       int64_t converted)
{
    char key[FUNNEL_KEYS_SIZE], sample_field[FUNNEL_KEYS_FIELD_SIZE],
        converted_field[FUNNEL_KEYS_FIELD_SIZE], sample_text[32], converted_text[32];
    assert_true (funnel_keys_day (key, sizeof key, partition, "crm", scope, day) > 0);
    funnel_keys_field (sample_field, sizeof sample_field, "sample", TEST_STEP_WON);
    funnel_keys_field (converted_field, sizeof converted_field, "converted", TEST_STEP_WON);
    snprintf (sample_text, sizeof sample_text, "%lld", (long long) sample);
    snprintf (converted_text, sizeof converted_text, "%lld", (long long) converted);
    assert_int_equal (
        sp_harness_redis_run_and_drop (fixture->redis, 6,
                                       (const char *[]){ "HSET", key, sample_field, sample_text,
                                                         converted_field, converted_text }),
        0);
    if (strcmp (scope, "company") != 0) {
        assert_true (funnel_keys_scopes (key, sizeof key, partition, "crm") > 0);
        assert_int_equal (sp_harness_redis_run_and_drop (fixture->redis, 3,
                                                         (const char *[]){ "SADD", key, scope }),
                          0);
    }
}

/* Sets partition's clock (the newest event it applied). */
static void
s_clock (s_fixture_t *fixture, uint32_t partition, const char *ms)
{
    char key[FUNNEL_KEYS_SIZE];
    funnel_keys_clock (key, sizeof key, partition);
    assert_int_equal (
        sp_harness_redis_run_and_drop (
            fixture->redis, 4, (const char *[]){ "ZADD", key, ms, FUNNEL_KEYS_CLOCK_MEMBER }),
        0);
}

/* Empties the notice tables, the stream's head (sp_outbox.h) and Redis. */
static void
s_clear (s_fixture_t *fixture)
{
    sp_pg_result_t *result = sp_pg_exec (
        fixture->pg, "TRUNCATE funnel_notice_conditions, funnel_notices", 0, NULL, NULL, NULL);
    assert_true (sp_pg_result_ok (result));
    sp_pg_result_destroy (&result);
    result = sp_pg_exec (fixture->pg, "DELETE FROM outbox_streams WHERE stream = $1", 1,
                         (const char *[]){ FUNNEL_NOTICE_STORE_STREAM }, NULL, NULL);
    assert_true (sp_pg_result_ok (result));
    sp_pg_result_destroy (&result);
    assert_int_equal (
        sp_harness_redis_run_and_drop (fixture->redis, 1, (const char *[]){ "FLUSHALL" }), 0);
}

/* ---------------------------------------------------------------- messages */

/* Receives one notice within timeout_ms into notice (and its topic).
   Returns 0, or -1 when none came. */
static int
s_receive (s_fixture_t *fixture, int timeout_ms, funnel_notice_t *notice, char *topic,
           size_t topic_size)
{
    zpoller_t *poller = zpoller_new (fixture->subscriber, NULL);
    assert_non_null (poller);
    void *ready = zpoller_wait (poller, timeout_ms);
    zpoller_destroy (&poller);
    if (!ready)
        return -1;
    zmsg_t *message = NULL;
    char error[TEST_ERROR_SIZE];
    assert_int_equal (sp_zmq_receive (fixture->subscriber, 2, 2, &message, error, sizeof error),
                      SP_ZMQ_RECEIVED);
    char *topic_text = zframe_strdup (zmsg_first (message));
    snprintf (topic, topic_size, "%s", topic_text);
    free (topic_text);
    Salespulse__FunnelBottleneck *unpacked =
        (Salespulse__FunnelBottleneck *) sp_proto_frame_unpack (
            &salespulse__funnel_bottleneck__descriptor, zmsg_next (message),
            FUNNEL_NOTICE_MESSAGE_MAX, NULL, NULL, error, sizeof error);
    assert_non_null (unpacked);
    assert_int_equal (funnel_notice_from_message (unpacked, notice, error, sizeof error), 0);
    ProtobufCMessage *base = &unpacked->base;
    sp_proto_free (&base);
    zmsg_destroy (&message);
    return 0;
}

/* Asserts that no notice arrives within TEST_QUIET_MS. */
static void
s_assert_quiet (s_fixture_t *fixture)
{
    funnel_notice_t notice;
    char topic[TEST_TEXT_SIZE];
    if (s_receive (fixture, TEST_QUIET_MS, &notice, topic, sizeof topic) == 0)
        fail_msg ("unexpected notice #%lld on \"%s\"", (long long) notice.sequence, topic);
}

/* Makes sure the subscriber receives what instance publishes: flips a
   warm-up condition (team:warm-up) and evaluates until a notice
   arrives, then drains and empties the tables and Redis. */
static void
s_wait_subscribed (s_fixture_t *fixture, s_instance_t *instance)
{
    funnel_notice_t notice;
    char topic[TEST_TEXT_SIZE];
    /* Drop what earlier tests left queued: only a new notice counts. */
    while (s_receive (fixture, 0, &notice, topic, sizeof topic) == 0)
        ;
    s_clear (fixture);
    s_clock (fixture, 0, TEST_LATEST_MS);
    int64_t deadline = sp_harness_now_ms () + TEST_WARM_UP_TIMEOUT_MS;
    bool firing = false;
    for (;;) {
        firing = !firing;
        s_day (fixture, 0, "team:warm-up", "2017-12-31", 100, firing ? 0 : 100);
        assert_int_equal (funnel_notifier_evaluate (instance->notifier), 1);
        if (s_receive (fixture, TEST_WARM_UP_POLL_MS, &notice, topic, sizeof topic) == 0)
            break;
        if (sp_harness_now_ms () > deadline)
            fail_msg ("the subscriber never received a warm-up notice");
    }
    while (s_receive (fixture, TEST_WARM_UP_POLL_MS, &notice, topic, sizeof topic) == 0)
        ;
    s_clear (fixture);
}

static int64_t
s_count (s_fixture_t *fixture, const char *sql)
{
    return sp_harness_pg_count (fixture->pg, sql);
}

/* True when the instance's /metrics text holds line. */
static bool
s_metrics_hold (s_instance_t *instance, const char *line)
{
    char *text = sp_metrics_render (sp_service_metrics (instance->service));
    bool found = text && strstr (text, line) != NULL;
    free (text);
    return found;
}

/* ---------------------------------------------------------------- tests */

/* Below target: one firing notice, however often evaluated; recovered:
   a cleared one; the window leaves out older days. */
static void
test_fires_once_then_clears (void **state)
{
    s_fixture_t *fixture = *state;
    s_wait_subscribed (fixture, &fixture->first);
    /* No event applied yet: nothing is judged. */
    assert_int_equal (funnel_notifier_evaluate (fixture->first.notifier), 0);
    assert_int_equal (s_count (fixture, "SELECT count(*) FROM funnel_notices"), 0);

    s_clock (fixture, 1, TEST_LATEST_MS);
    s_day (fixture, 0, "company", "2017-12-31", 30, 5);
    s_day (fixture, 1, "company", "2017-12-02", 20, 5);
    s_day (fixture, 2, "company", "2017-12-01", 1000, 1000); /* before the window */
    s_day (fixture, 3, "region:West", "2017-12-15", 25, 20); /* 80 %: met */
    assert_int_equal (funnel_notifier_evaluate (fixture->first.notifier), 1);

    funnel_notice_t notice;
    char topic[TEST_TEXT_SIZE];
    assert_int_equal (s_receive (fixture, TEST_RECEIVE_MS, &notice, topic, sizeof topic), 0);
    assert_string_equal (topic, "funnel.bottleneck.company");
    assert_int_equal (notice.sequence, 1);
    assert_int_equal (notice.state, FUNNEL_NOTICE_FIRING);
    assert_int_equal (notice.reason, FUNNEL_NOTICE_BELOW_TARGET);
    assert_string_equal (notice.funnel, "crm");
    assert_int_equal (notice.funnel_version, 1);
    assert_string_equal (notice.step, "won");
    assert_int_equal (notice.step_index, TEST_STEP_WON);
    assert_string_equal (notice.from_step, "lead");
    assert_string_equal (notice.scope, "company");
    assert_int_equal (notice.sample, 50);
    assert_int_equal (notice.converted, 10);
    assert_int_equal (notice.observed_bp, 2000);
    assert_int_equal (notice.target_bp, 5000);
    assert_int_equal (notice.min_sample, 20);
    assert_string_equal (notice.window.first_day, "2017-12-02");
    assert_string_equal (notice.window.last_day, "2017-12-31");
    assert_int_equal (notice.window.start_ms, INT64_C (1512172800000));
    assert_int_equal (notice.window.end_ms, INT64_C (1514764800000));
    assert_true (notice.created_at_ms > 0);

    /* Evaluated again, nothing changed: no second notice. */
    assert_int_equal (funnel_notifier_evaluate (fixture->first.notifier), 0);
    assert_int_equal (funnel_notifier_evaluate (fixture->first.notifier), 0);
    s_assert_quiet (fixture);
    assert_int_equal (s_count (fixture, "SELECT count(*) FROM funnel_notices"), 1);
    assert_int_equal (s_count (fixture, "SELECT count(*) FROM funnel_notice_conditions "
                                        "WHERE funnel = 'crm' AND step = 'won' AND "
                                        "scope = 'company' AND state = 'firing' AND sequence = 1"),
                      1);
    assert_int_equal (s_count (fixture, "SELECT sample * 1000 + converted FROM funnel_notices "
                                        "WHERE sequence = 1 AND first_day = '2017-12-02' AND "
                                        "last_day = '2017-12-31' AND observed_bp = 2000"),
                      50010);

    /* Recovered: 30 of 50. */
    s_day (fixture, 0, "company", "2017-12-31", 30, 25);
    assert_int_equal (funnel_notifier_evaluate (fixture->first.notifier), 1);
    assert_int_equal (s_receive (fixture, TEST_RECEIVE_MS, &notice, topic, sizeof topic), 0);
    assert_int_equal (notice.sequence, 2);
    assert_int_equal (notice.state, FUNNEL_NOTICE_CLEARED);
    assert_int_equal (notice.reason, FUNNEL_NOTICE_RECOVERED);
    assert_int_equal (notice.observed_bp, 6000);
    assert_int_equal (funnel_notifier_evaluate (fixture->first.notifier), 0);
    s_assert_quiet (fixture);

    /* Below target again (sequence 3), then too few leads (sequence 4). */
    s_day (fixture, 0, "company", "2017-12-31", 30, 0);
    assert_int_equal (funnel_notifier_evaluate (fixture->first.notifier), 1);
    assert_int_equal (s_receive (fixture, TEST_RECEIVE_MS, &notice, topic, sizeof topic), 0);
    assert_int_equal (notice.sequence, 3);
    assert_int_equal (notice.state, FUNNEL_NOTICE_FIRING);
    s_day (fixture, 0, "company", "2017-12-31", 0, 0);
    s_day (fixture, 1, "company", "2017-12-02", 19, 0);
    assert_int_equal (funnel_notifier_evaluate (fixture->first.notifier), 1);
    assert_int_equal (s_receive (fixture, TEST_RECEIVE_MS, &notice, topic, sizeof topic), 0);
    assert_int_equal (notice.sequence, 4);
    assert_int_equal (notice.state, FUNNEL_NOTICE_CLEARED);
    assert_int_equal (notice.reason, FUNNEL_NOTICE_SAMPLE_BELOW_MINIMUM);
    assert_int_equal (notice.sample, 19);
    assert_int_equal (s_count (fixture, "SELECT count(*) FROM funnel_notices"), 4);
    assert_int_equal (s_count (fixture, "SELECT max(sequence) - min(sequence) + 1 "
                                        "FROM funnel_notices"),
                      4);
    assert_true (s_metrics_hold (&fixture->first,
                                 "salespulse_funnel_notices_published_total{state=\"cleared\"}"));
    assert_true (s_metrics_hold (&fixture->first, "salespulse_funnel_bottlenecks_firing 0"));
}

/* Only cohorts old enough to have converted are judged: leads of the last
   365 days, however badly they convert, raise nothing; leads of a day 366
   days back are judged and fire, their young successors still left out;
   a day later the next cohort has matured and counts too. */
static void
test_young_cohorts_not_judged (void **state)
{
    s_fixture_t *fixture = *state;
    s_wait_subscribed (fixture, &fixture->first);
    s_clock (fixture, 0, TEST_LATEST_MS);
    s_day (fixture, 0, "company", "2018-12-31", 100, 0); /* a day old */
    s_day (fixture, 1, "company", "2018-06-01", 100, 0); /* half a year old */
    s_day (fixture, 2, "company", "2018-01-01", 100, 0); /* 365 days old: not yet */
    s_day (fixture, 3, "region:West", "2018-12-30", 50, 1);
    assert_int_equal (funnel_notifier_evaluate (fixture->first.notifier), 0);
    s_assert_quiet (fixture);
    assert_int_equal (s_count (fixture, "SELECT count(*) FROM funnel_notices"), 0);
    assert_true (s_metrics_hold (&fixture->first, "salespulse_funnel_bottlenecks_firing 0"));

    /* A mature cohort: 2017-12-31 is 366 days before the newest event. */
    s_day (fixture, 0, "company", "2017-12-31", 30, 5);
    assert_int_equal (funnel_notifier_evaluate (fixture->first.notifier), 1);
    funnel_notice_t notice;
    char topic[TEST_TEXT_SIZE];
    assert_int_equal (s_receive (fixture, TEST_RECEIVE_MS, &notice, topic, sizeof topic), 0);
    assert_string_equal (topic, "funnel.bottleneck.company");
    assert_int_equal (notice.state, FUNNEL_NOTICE_FIRING);
    assert_int_equal (notice.sample, 30); /* the young 300 leads are not in it */
    assert_int_equal (notice.converted, 5);
    assert_string_equal (notice.window.first_day, "2017-12-02");
    assert_string_equal (notice.window.last_day, "2017-12-31");
    s_assert_quiet (fixture);

    /* A day later 2018-01-01 has matured and counts too (still firing,
       no new notice); 2018-06-01 is still young. */
    s_clock (fixture, 1, "1546430400000"); /* 2019-01-02T12:00:00Z */
    assert_int_equal (funnel_notifier_evaluate (fixture->first.notifier), 0);
    s_assert_quiet (fixture);
    assert_int_equal (
        s_count (fixture, "SELECT count(*) FROM funnel_notice_conditions WHERE state = 'firing'"),
        1);
    /* It recovers only by converting: 2018-01-01's leads all won. */
    s_day (fixture, 2, "company", "2018-01-01", 100, 100);
    assert_int_equal (funnel_notifier_evaluate (fixture->first.notifier), 1);
    assert_int_equal (s_receive (fixture, TEST_RECEIVE_MS, &notice, topic, sizeof topic), 0);
    assert_int_equal (notice.state, FUNNEL_NOTICE_CLEARED);
    assert_int_equal (notice.reason, FUNNEL_NOTICE_RECOVERED);
    assert_int_equal (notice.sample, 130);
    assert_int_equal (notice.converted, 105);
    assert_string_equal (notice.window.first_day, "2017-12-03");
    assert_string_equal (notice.window.last_day, "2018-01-01");
}

/* Per-region and per-team topics, so a subscriber can filter by prefix. */
static void
test_topics_by_scope (void **state)
{
    s_fixture_t *fixture = *state;
    s_wait_subscribed (fixture, &fixture->first);
    s_clock (fixture, 2, TEST_LATEST_MS);
    s_day (fixture, 0, "company", "2017-12-20", 100, 60);
    s_day (fixture, 1, "region:West", "2017-12-20", 40, 10);
    s_day (fixture, 2, "team:T-7", "2017-12-21", 40, 10);
    assert_int_equal (funnel_notifier_evaluate (fixture->first.notifier), 2);
    funnel_notice_t notice;
    char first_topic[TEST_TEXT_SIZE], second_topic[TEST_TEXT_SIZE];
    assert_int_equal (
        s_receive (fixture, TEST_RECEIVE_MS, &notice, first_topic, sizeof first_topic), 0);
    assert_int_equal (notice.sequence, 1);
    assert_int_equal (
        s_receive (fixture, TEST_RECEIVE_MS, &notice, second_topic, sizeof second_topic), 0);
    assert_int_equal (notice.sequence, 2);
    /* Scopes are judged in sorted order. */
    assert_string_equal (first_topic, "funnel.bottleneck.region:West");
    assert_string_equal (second_topic, "funnel.bottleneck.team:T-7");
    assert_true (s_metrics_hold (&fixture->first, "salespulse_funnel_bottlenecks_firing 2"));
}

/* Both instances evaluate at the same moment. */
typedef struct {
    s_instance_t *instance;
    int published;
} s_race_t;

static void *
s_race (void *arg)
{
    s_race_t *race = arg;
    race->published = funnel_notifier_evaluate (race->instance->notifier);
    return NULL;
}

/* Two instances on the same data: each transition stored and published
   once, whichever instance wins. */
static void
test_two_instances_publish_once (void **state)
{
    s_fixture_t *fixture = *state;
    s_wait_subscribed (fixture, &fixture->second);
    s_wait_subscribed (fixture, &fixture->first);
    s_clock (fixture, 3, TEST_LATEST_MS);
    int64_t expected_sequence = 0;
    for (int round = 0; round < 6; round++) {
        /* Even rounds fire, odd rounds clear. */
        s_day (fixture, 0, "company", "2017-12-31", 100, round % 2 == 0 ? 10 : 90);
        s_race_t races[2] = { { &fixture->first, -1 }, { &fixture->second, -1 } };
        pthread_t threads[2];
        for (int index = 0; index < 2; index++)
            assert_int_equal (pthread_create (&threads[index], NULL, s_race, &races[index]), 0);
        for (int index = 0; index < 2; index++)
            assert_int_equal (pthread_join (threads[index], NULL), 0);
        assert_int_equal (races[0].published + races[1].published, 1);
        expected_sequence++;
        funnel_notice_t notice;
        char topic[TEST_TEXT_SIZE];
        assert_int_equal (s_receive (fixture, TEST_RECEIVE_MS, &notice, topic, sizeof topic), 0);
        assert_int_equal (notice.sequence, expected_sequence);
        assert_int_equal (notice.state,
                          round % 2 == 0 ? FUNNEL_NOTICE_FIRING : FUNNEL_NOTICE_CLEARED);
        /* The loser evaluates again: still nothing to publish. */
        assert_int_equal (funnel_notifier_evaluate (fixture->first.notifier), 0);
        assert_int_equal (funnel_notifier_evaluate (fixture->second.notifier), 0);
        s_assert_quiet (fixture);
    }
    assert_int_equal (s_count (fixture, "SELECT count(*) FROM funnel_notices"), 6);
}

/* A new funnel version without the target clears what the old one raised. */
static void
test_target_removed_clears (void **state)
{
    s_fixture_t *fixture = *state;
    s_wait_subscribed (fixture, &fixture->first);
    s_clock (fixture, 0, TEST_LATEST_MS);
    s_day (fixture, 1, "rep:P-1", "2017-12-30", 20, 1);
    s_day (fixture, 1, "company", "2017-12-30", 20, 1);
    assert_int_equal (funnel_notifier_evaluate (fixture->first.notifier), 2);
    s_instance_t upgraded = { NULL, NULL };
    assert_int_equal (s_instance_start (fixture, &upgraded, fixture->untargeted), 0);
    assert_int_equal (funnel_notifier_evaluate (upgraded.notifier), 2);
    assert_int_equal (funnel_notifier_evaluate (upgraded.notifier), 0);
    assert_int_equal (s_count (fixture, "SELECT count(*) FROM funnel_notices WHERE "
                                        "reason = 'target_removed' AND funnel_version = 2 "
                                        "AND state = 'cleared'"),
                      2);
    assert_int_equal (
        s_count (fixture, "SELECT count(*) FROM funnel_notice_conditions WHERE state = 'firing'"),
        0);
    s_instance_stop (&upgraded);
}

/* Runs salesctl with arguments (NULL terminated); returns its status. */
static int
s_salesctl (s_fixture_t *fixture, const char *const *arguments)
{
    return sp_harness_salesctl (fixture->harness, arguments, fixture->stderr_path, fixture->output,
                                sizeof fixture->output, TEST_RUN_TIMEOUT_MS);
}

/* `salesctl notices`: the firing set; --all and --after the history. */
static void
test_salesctl_lists (void **state)
{
    s_fixture_t *fixture = *state;
    s_clear (fixture);
    s_clock (fixture, 0, TEST_LATEST_MS);
    s_day (fixture, 0, "region:West", "2017-12-31", 120, 49);
    s_day (fixture, 1, "company", "2017-12-31", 200, 150);
    assert_int_equal (funnel_notifier_evaluate (fixture->first.notifier), 1);
    s_day (fixture, 2, "team:T", "2017-12-30", 40, 2);
    assert_int_equal (funnel_notifier_evaluate (fixture->first.notifier), 1);
    s_day (fixture, 2, "team:T", "2017-12-30", 40, 39);
    assert_int_equal (funnel_notifier_evaluate (fixture->first.notifier), 1);

    assert_int_equal (s_salesctl (fixture, (const char *const[]){ "notices", "--json", NULL }), 0);
    const char *expected =
        "{\"sequence\":1,\"state\":\"firing\",\"reason\":\"below_target\",\"funnel\":\"crm\","
        "\"funnel_version\":1,\"step\":\"won\",\"step_index\":3,\"from_step\":\"lead\","
        "\"scope\":\"region:West\",\"observed_bp\":4083,\"target_bp\":5000,\"min_sample\":20,"
        "\"sample\":120,\"converted\":49,\"first_day\":\"2017-12-02\",\"last_day\":\"2017-12-31\","
        "\"window_start_ms\":1512172800000,\"window_end_ms\":1514764800000,\"created_at_ms\":";
    if (strncmp (fixture->output, expected, strlen (expected)) != 0)
        fail_msg ("salesctl notices --json printed:\n%s", fixture->output);
    assert_null (strchr (strchr (fixture->output, '\n') + 1, '\n')); /* one line */

    assert_int_equal (s_salesctl (fixture, (const char *const[]){ "notices", NULL }), 0);
    assert_non_null (strstr (fixture->output,
                             "#1 FIRING  crm/won  region:West  observed 40.83% < target 50.0%  "
                             "sample 120  2017-12-02..2017-12-31\n"
                             "1 condition firing (newest notice #3)\n"));

    assert_int_equal (s_salesctl (fixture, (const char *const[]){ "notices", "--all", NULL }), 0);
    assert_non_null (strstr (fixture->output, "#1 FIRING  crm/won  region:West"));
    assert_non_null (strstr (fixture->output, "#2 FIRING  crm/won  team:T  observed 5.0% < "));
    assert_non_null (strstr (fixture->output,
                             "#3 CLEARED crm/won  team:T  observed 97.5% >= target 50.0%  "
                             "sample 40  2017-12-02..2017-12-31  recovered\n3 notices\n"));

    assert_int_equal (
        s_salesctl (fixture, (const char *const[]){ "notices", "--after", "2", "--json", NULL }),
        0);
    assert_non_null (strstr (fixture->output, "{\"sequence\":3,\"state\":\"cleared\","
                                              "\"reason\":\"recovered\""));
    assert_null (strstr (fixture->output, "\"sequence\":2"));

    /* Refusals. */
    assert_int_equal (
        s_salesctl (fixture, (const char *const[]){ "notices", "--all", "--after", "1", NULL }), 1);
    assert_int_equal (
        s_salesctl (fixture, (const char *const[]){ "notices", "--timeout", "5", NULL }), 1);
}

/* Waits until the file at path holds text. */
static int
s_wait_file (pid_t pid, const char *path, const char *text)
{
    return sp_harness_wait_log (pid, path, text, TEST_RUN_TIMEOUT_MS);
}

/* `salesctl notices --follow`: the snapshot, then what is published while
   it runs, in sequence order; a notice stored but never published (a
   gap) is read back from PostgreSQL. Ctrl-C ends it with status 0. */
static void
test_salesctl_follow (void **state)
{
    s_fixture_t *fixture = *state;
    s_clear (fixture);
    s_clock (fixture, 0, TEST_LATEST_MS);
    s_day (fixture, 0, "region:West", "2017-12-31", 120, 49);
    assert_int_equal (funnel_notifier_evaluate (fixture->first.notifier), 1);

    char program[PATH_MAX], stdout_path[PATH_MAX], endpoints[TEST_TEXT_SIZE * 2];
    sp_harness_program ("salesctl", program, sizeof program);
    snprintf (stdout_path, sizeof stdout_path, "%s/follow.out", sp_harness_dir (fixture->harness));
    snprintf (endpoints, sizeof endpoints, "%s,%s",
              funnel_notifier_endpoint (fixture->first.notifier),
              funnel_notifier_endpoint (fixture->second.notifier));
    const char *arguments[] = { "notices",           "--follow",   "--json",  "--timeout",
                                TEST_FOLLOW_SECONDS, "--endpoint", endpoints, NULL };
    sp_harness_spawn_options_t options = { .arguments = arguments,
                                           .stdout_path = stdout_path,
                                           .stderr_path = fixture->stderr_path,
                                           .truncate = true };
    pid_t pid = sp_harness_spawn_with (fixture->harness, program, &options);
    assert_true (pid > 0);
    assert_int_equal (s_wait_file (pid, stdout_path, "{\"sequence\":1,\"state\":\"firing\""), 0);
    assert_int_equal (s_wait_file (pid, fixture->stderr_path, "following notices"), 0);

    /* Published while it runs, by the second instance. */
    s_day (fixture, 1, "team:T", "2017-12-31", 50, 5);
    assert_int_equal (funnel_notifier_evaluate (fixture->second.notifier), 1);
    assert_int_equal (s_wait_file (pid, stdout_path,
                                   "\"sequence\":2,\"state\":\"firing\","
                                   "\"reason\":\"below_target\",\"funnel\":"
                                   "\"crm\",\"funnel_version\":1,\"step\":"
                                   "\"won\",\"step_index\":3,\"from_step\":"
                                   "\"lead\",\"scope\":\"team:T\""),
                      0);

    /* Sequence 3 stored but never published, then 4 published: both
       printed, in order. */
    funnel_notice_t gap;
    memset (&gap, 0, sizeof gap);
    gap.state = FUNNEL_NOTICE_FIRING;
    gap.reason = FUNNEL_NOTICE_BELOW_TARGET;
    snprintf (gap.funnel, sizeof gap.funnel, "crm");
    gap.funnel_version = 1;
    snprintf (gap.step, sizeof gap.step, "won");
    gap.step_index = TEST_STEP_WON;
    snprintf (gap.from_step, sizeof gap.from_step, "lead");
    snprintf (gap.scope, sizeof gap.scope, "rep:unpublished");
    gap.target_bp = 5000;
    gap.min_sample = 20;
    gap.sample = 20;
    snprintf (gap.window.first_day, sizeof gap.window.first_day, "2017-12-02");
    snprintf (gap.window.last_day, sizeof gap.window.last_day, "2017-12-31");
    gap.window.start_ms = INT64_C (1512172800000);
    gap.window.end_ms = INT64_C (1514764800000);
    char error[TEST_ERROR_SIZE];
    assert_int_equal (funnel_notice_store_record (fixture->pg, &gap, error, sizeof error), 1);
    assert_int_equal (gap.sequence, 3);
    /* What it stored holds: the condition stays firing. */
    s_day (fixture, 2, "rep:unpublished", "2017-12-31", 20, 0);
    s_day (fixture, 1, "team:T", "2017-12-31", 50, 45);
    assert_int_equal (funnel_notifier_evaluate (fixture->first.notifier), 1);
    assert_int_equal (s_wait_file (pid, stdout_path, "\"sequence\":4,\"state\":\"cleared\""), 0);

    assert_int_equal (kill (pid, SIGINT), 0);
    assert_int_equal (sp_harness_wait_exit (pid, TEST_RUN_TIMEOUT_MS), 0);
    static char output[TEST_OUTPUT_SIZE];
    assert_int_equal (sp_harness_read_file (stdout_path, output, sizeof output), 0);
    const char *third = strstr (output, "{\"sequence\":3,");
    const char *fourth = strstr (output, "{\"sequence\":4,");
    assert_non_null (third);
    assert_non_null (fourth);
    assert_true (third < fourth);
    assert_non_null (strstr (third, "\"scope\":\"rep:unpublished\""));
    /* Each notice once. */
    size_t lines = 0;
    for (const char *cursor = output; (cursor = strchr (cursor, '\n')); cursor++)
        lines++;
    assert_int_equal (lines, 4);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_fires_once_then_clears),
        cmocka_unit_test (test_young_cohorts_not_judged),
        cmocka_unit_test (test_topics_by_scope),
        cmocka_unit_test (test_two_instances_publish_once),
        cmocka_unit_test (test_target_removed_clears),
        cmocka_unit_test (test_salesctl_lists),
        cmocka_unit_test (test_salesctl_follow),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
