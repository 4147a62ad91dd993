/*  sp_service - the life of one service process (see sp_service.h).

    Threads: everything here runs on the service thread except the health
    callback, which libmicrohttpd calls on its own thread; the two share
    only the atomic dependency flags and the (thread-safe) metrics
    registry.
*/
#include "sp_service.h"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sp_http.h"
#include "sp_log.h"
#include "sp_zmq_curve.h"

#define SP_SERVICE_ERROR_SIZE 512 /* room for any start-up error text */
#define SP_SERVICE_MS_PER_SECOND 1000
#define SP_SERVICE_RECONNECT_DELAY_MS 100 /* after start: one quick reconnect attempt */
#define SP_SERVICE_RECONNECT_TIMEOUT_S 2  /* connect timeout once started */
#define SP_SERVICE_CHECK_MAX 32           /* longest own-check name kept */
#define SP_SERVICE_PROBLEM_MAX 256        /* longest own-check problem kept */

extern char **environ;

struct _sp_service_t {
    const sp_service_spec_t *spec; /* name and own settings (borrowed) */
    sp_config_t *config;           /* parsed settings */
    sp_tz_t *time_zone;            /* --time-zone, periods are cut in it */
    sp_metrics_t *metrics;         /* registry served on /metrics */
    sp_metric_t *dependency_up;    /* gauge: 1 when a dependency answered */
    sp_metric_t *health_checks;    /* counter: pings by dependency and result */
    sp_pg_t *pg;                   /* PostgreSQL connection, after start */
    sp_redis_t *redis;             /* Redis connection, after start */
    sp_http_t *http;               /* /healthz and /metrics, after start */
    zloop_t *loop;                 /* the service thread's reactor */
    int health_timer;              /* zloop timer id, -1 when none */
    atomic_bool postgres_up;       /* last PostgreSQL ping answered */
    atomic_bool redis_up;          /* last Redis ping answered */
    bool without_redis;            /* never uses Redis: not connected, pinged nor in /healthz */
    pthread_mutex_t health_lock;   /* guards the three fields below (HTTP thread reads) */
    char check[SP_SERVICE_CHECK_MAX];     /* own check's name, "" when none */
    bool check_ok;                        /* own check healthy */
    char problem[SP_SERVICE_PROBLEM_MAX]; /* why not, JSON-escaped */
    int64_t started_ms;            /* wall clock at sp_service_new, UTC ms */
    int exit_code;                 /* what main should return */
    sp_service_stop_fn stop;       /* the service's stop hook, NULL when none */
    void *stop_arg;                /* its argument */
};

/* Calls the stop hook once. */
static void
s_call_stop (sp_service_t *self)
{
    sp_service_stop_fn stop = self->stop;
    self->stop = NULL;
    if (stop)
        stop (self, self->stop_arg);
}

static int64_t
s_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    return (int64_t) now.tv_sec * SP_SERVICE_MS_PER_SECOND + now.tv_nsec / 1000000;
}

/* Records one dependency check in the flags and the metrics. */
static void
s_record_health (sp_service_t *self, const char *dependency, atomic_bool *flag, bool up)
{
    bool was_up = atomic_exchange (flag, up);
    sp_metric_set (self->dependency_up, (const char *[]) { dependency }, up ? 1 : 0);
    sp_metric_add (self->health_checks, (const char *[]) { dependency, up ? "ok" : "failed" }, 1);
    if (was_up && !up)
        sp_log_warn ("dependency is down", "dependency=%s", dependency);
    else if (!was_up && up)
        sp_log_info ("dependency is up", "dependency=%s", dependency);
}

static bool
s_postgres_ping (sp_service_t *self)
{
    sp_pg_result_t *result = sp_pg_exec (self->pg, "SELECT 1", 0, NULL, NULL, NULL);
    bool up = result && sp_pg_result_ok (result);
    sp_pg_result_destroy (&result);
    return up;
}

static bool
s_redis_ping (sp_service_t *self)
{
    char error[SP_SERVICE_ERROR_SIZE];
    sp_redis_reply_t *reply = sp_redis_command (self->redis, 1, (const char *[]) { "PING" }, NULL,
                                                error, sizeof error);
    bool up = reply && sp_redis_reply_type (reply) == SP_REDIS_REPLY_STATUS;
    sp_redis_reply_destroy (&reply);
    return up;
}

static void
s_check_dependencies (sp_service_t *self)
{
    s_record_health (self, "postgres", &self->postgres_up, s_postgres_ping (self));
    if (!self->without_redis)
        s_record_health (self, "redis", &self->redis_up, s_redis_ping (self));
}

static int
s_health_timer (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    s_check_dependencies ((sp_service_t *) arg);
    return 0;
}

/* Runs on the HTTP thread: reads only atomics and immutable fields. A
   service without Redis has no "redis" member and does not depend on it. */
static bool
s_health (void *arg, char *body, size_t body_size)
{
    sp_service_t *self = (sp_service_t *) arg;
    bool postgres = atomic_load (&self->postgres_up);
    bool uses_redis = !self->without_redis;
    bool redis = atomic_load (&self->redis_up);
    char redis_member[32] = "";
    if (uses_redis)
        snprintf (redis_member, sizeof redis_member, "\"redis\":\"%s\",", redis ? "ok" : "down");
    char check_member[SP_SERVICE_CHECK_MAX + SP_SERVICE_PROBLEM_MAX + 8] = "";
    pthread_mutex_lock (&self->health_lock);
    bool check_ok = self->check_ok;
    if (self->check[0])
        snprintf (check_member, sizeof check_member, "\"%s\":\"%s\",", self->check,
                  check_ok ? "ok" : self->problem);
    pthread_mutex_unlock (&self->health_lock);
    bool healthy = postgres && (redis || !uses_redis) && check_ok;
    snprintf (body, body_size,
              "{\"service\":\"%s\",\"version\":\"%s\",\"status\":\"%s\","
              "\"postgres\":\"%s\",%s%s\"uptime_seconds\":%lld}",
              self->spec->name, SP_SERVICE_VERSION, healthy ? "ok" : "unavailable",
              postgres ? "ok" : "down", redis_member, check_member,
              (long long) ((s_now_ms () - self->started_ms) / SP_SERVICE_MS_PER_SECOND));
    return healthy;
}

static int
s_register_metrics (sp_service_t *self)
{
    sp_metric_t *build = sp_metrics_gauge (self->metrics, "salespulse_build_info",
                                           "service name and version; always 1",
                                           (const char *[]) { "service", "version" }, 2);
    sp_metric_t *start = sp_metrics_gauge (self->metrics, "process_start_time_seconds",
                                           "start time of the process since the Unix epoch",
                                           NULL, 0);
    self->dependency_up = sp_metrics_gauge (self->metrics, "salespulse_dependency_up",
                                            "1 when the dependency answered its last ping",
                                            (const char *[]) { "dependency" }, 1);
    self->health_checks = sp_metrics_counter (self->metrics, "salespulse_health_checks_total",
                                              "dependency pings, by dependency and result",
                                              (const char *[]) { "dependency", "result" }, 2);
    if (!build || !start || !self->dependency_up || !self->health_checks)
        return -1;
    sp_metric_set (build, (const char *[]) { self->spec->name, SP_SERVICE_VERSION }, 1);
    sp_metric_set (start, NULL, (double) self->started_ms / SP_SERVICE_MS_PER_SECOND);
    return 0;
}

/* Configures logging from the parsed settings; -1 with a message on a bad value. */
static int
s_setup_logging (sp_service_t *self)
{
    sp_log_level_t level;
    sp_log_format_t format;
    const char *level_text = sp_config_string (self->config, "log-level");
    const char *format_text = sp_config_string (self->config, "log-format");
    if (sp_log_level_parse (level_text, &level) != 0) {
        fprintf (stderr, "%s: invalid value \"%s\" for --log-level: expected debug, info, warn "
                 "or error\n", self->spec->name, level_text);
        return -1;
    }
    if (sp_log_format_parse (format_text, &format) != 0) {
        fprintf (stderr, "%s: invalid value \"%s\" for --log-format: expected logfmt or json\n",
                 self->spec->name, format_text);
        return -1;
    }
    sp_log_init (self->spec->name, level, format);
    return 0;
}

sp_service_t *
sp_service_new (const sp_service_spec_t *spec, int argc, char **argv, int *exit_code)
{
    assert (spec && spec->name && exit_code);
    *exit_code = SP_SERVICE_EXIT_FAILURE;
    sp_service_t *self = (sp_service_t *) calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->spec = spec;
    self->health_timer = -1;
    self->exit_code = SP_SERVICE_EXIT_OK;
    self->started_ms = s_now_ms ();
    atomic_init (&self->postgres_up, false);
    atomic_init (&self->redis_up, false);
    pthread_mutex_init (&self->health_lock, NULL);
    self->check_ok = true;

    self->config = sp_config_new (spec->name, spec->summary, sp_config_common_options,
                                  sp_config_common_option_count, spec->options,
                                  spec->option_count);
    if (!self->config)
        goto out_destroy;
    char error[SP_SERVICE_ERROR_SIZE];
    sp_config_result_t parsed =
        sp_config_parse (self->config, argc, argv, environ, stdout, error, sizeof error);
    if (parsed == SP_CONFIG_HELP) {
        *exit_code = SP_SERVICE_EXIT_OK;
        goto out_destroy;
    }
    if (parsed == SP_CONFIG_ERROR) {
        fprintf (stderr, "%s: %s\nTry \"%s --help\" for more information.\n", spec->name, error,
                 spec->name);
        *exit_code = SP_SERVICE_EXIT_USAGE;
        goto out_destroy;
    }
    if (sp_config_arg_count (self->config) > 0) {
        fprintf (stderr, "%s: unexpected argument \"%s\"\n", spec->name,
                 sp_config_arg (self->config, 0));
        *exit_code = SP_SERVICE_EXIT_USAGE;
        goto out_destroy;
    }
    if (s_setup_logging (self) != 0) {
        *exit_code = SP_SERVICE_EXIT_USAGE;
        goto out_destroy;
    }
    self->time_zone =
        sp_tz_new (sp_config_string (self->config, "time-zone"), error, sizeof error);
    if (!self->time_zone) {
        fprintf (stderr, "%s: invalid value for --time-zone: %s\n", spec->name, error);
        *exit_code = SP_SERVICE_EXIT_USAGE;
        goto out_destroy;
    }
    self->metrics = sp_metrics_new ();
    if (!self->metrics || s_register_metrics (self) != 0)
        goto out_destroy;
    /* CZMQ's handler turns SIGINT/SIGTERM into zsys_interrupted, which stops
       the reactor; it must be installed before the first socket or loop. */
    zsys_init ();
    if (sp_service_install_curve (self->config, error, sizeof error) != 0) {
        fprintf (stderr, "%s: %s\n", spec->name, error);
        *exit_code = SP_SERVICE_EXIT_USAGE;
        goto out_destroy;
    }
    const sp_zmq_curve_t *curve = sp_zmq_curve_installed ();
    if (curve)
        sp_log_info ("zeromq curve on", "public_key=\"%s\" clients=\"%s\"",
                     sp_zmq_curve_public_key (curve),
                     sp_config_string (self->config, "curve-clients")
                         ? sp_config_string (self->config, "curve-clients")
                         : "");
    self->loop = zloop_new ();
    if (!self->loop)
        goto out_destroy;
    return self;

out_destroy:
    sp_service_destroy (&self);
    return NULL;
}

void
sp_service_destroy (sp_service_t **self_p)
{
    assert (self_p);
    sp_service_t *self = *self_p;
    if (!self)
        return;
    s_call_stop (self);
    sp_http_destroy (&self->http);
    if (self->loop && self->health_timer >= 0)
        zloop_timer_end (self->loop, self->health_timer);
    zloop_destroy (&self->loop);
    sp_redis_destroy (&self->redis);
    sp_pg_destroy (&self->pg);
    sp_metrics_destroy (&self->metrics);
    sp_tz_destroy (&self->time_zone);
    sp_config_destroy (&self->config);
    /* Last: the ZAP handler outlives every socket that relied on it. */
    sp_zmq_curve_uninstall ();
    pthread_mutex_destroy (&self->health_lock);
    free (self);
    *self_p = NULL;
}

int
sp_service_install_curve (const sp_config_t *config, char *error, size_t error_size)
{
    assert (config);
    sp_zmq_curve_settings_t settings = {
        .secret_path = sp_config_string (config, "curve-secret"),
        .clients_path = sp_config_string (config, "curve-clients"),
        .server_path = sp_config_string (config, "curve-server"),
    };
    if (sp_zmq_curve_settings_empty (&settings))
        return 0;
    sp_zmq_curve_t *curve = sp_zmq_curve_new (&settings, error, error_size);
    if (!curve)
        return -1;
    sp_log_debug ("zeromq curve on", "public_key=\"%s\" serves=%s connects=%s",
                  sp_zmq_curve_public_key (curve), sp_zmq_curve_serves (curve) ? "yes" : "no",
                  sp_zmq_curve_connects (curve) ? "yes" : "no");
    sp_zmq_curve_install (&curve);
    return 0;
}

/* Reads the partition count `salesctl migrate` recorded and compares. */
static int
s_check_partitions (sp_service_t *self)
{
    int64_t configured = sp_config_int (self->config, "partitions");
    sp_pg_result_t *result =
        sp_pg_exec (self->pg, "SELECT value FROM salespulse_settings WHERE name = 'partitions'",
                    0, NULL, NULL, NULL);
    int rc = -1;
    if (!result || !sp_pg_result_ok (result)) {
        sp_log_error ("could not read the partition count from postgresql",
                      "error=\"%s\" hint=\"run salesctl migrate\"",
                      result ? sp_pg_result_error (result) : sp_pg_error (self->pg));
        goto out_clear_result;
    }
    if (sp_pg_result_rows (result) != 1) {
        sp_log_error ("database is not set up: no partition count recorded",
                      "hint=\"run salesctl migrate --partitions %lld\"",
                      (long long) configured);
        goto out_clear_result;
    }
    int64_t recorded = 0;
    if (sp_pg_result_int64 (result, 0, 0, &recorded) != 0 || recorded != configured) {
        sp_log_error ("partition count does not match the database",
                      "configured=%lld recorded=\"%s\" hint=\"set --partitions or SP_PARTITIONS "
                      "to the recorded value\"",
                      (long long) configured, sp_pg_result_value (result, 0, 0));
        goto out_clear_result;
    }
    rc = 0;
out_clear_result:
    sp_pg_result_destroy (&result);
    return rc;
}

/* Connects the service's Redis connection (bounded retries). */
static int
s_connect_redis (sp_service_t *self)
{
    char error[SP_SERVICE_ERROR_SIZE];
    self->redis =
        sp_redis_new (sp_config_string (self->config, "redis"), NULL, error, sizeof error);
    if (!self->redis) {
        sp_log_error ("invalid redis url", "error=\"%s\"", error);
        return -1;
    }
    if (sp_redis_connect (self->redis, error, sizeof error) != 0) {
        sp_log_error ("could not connect to redis", "error=\"%s\"", error);
        return -1;
    }
    return 0;
}

int
sp_service_start (sp_service_t *self)
{
    assert (self);
    char error[SP_SERVICE_ERROR_SIZE];
    const char *name = self->spec->name;
    sp_log_info ("starting", "version=%s partitions=%lld time_zone=\"%s\"", SP_SERVICE_VERSION,
                 (long long) sp_config_int (self->config, "partitions"),
                 sp_config_string (self->config, "time-zone"));

    self->pg = sp_pg_new (sp_config_string (self->config, "postgres"), name);
    if (!self->pg || sp_pg_connect (self->pg) != 0) {
        sp_log_error ("could not connect to postgresql", "error=\"%s\"",
                      self->pg ? sp_pg_error (self->pg) : "out of memory");
        goto out_failed;
    }
    if (s_check_partitions (self) != 0)
        goto out_failed;
    /* Started: from now on a lost connection is retried by the next ping
       or query, once and quickly, so the reactor never waits out a backoff. */
    sp_pg_set_retry (self->pg, 1, SP_SERVICE_RECONNECT_DELAY_MS, SP_SERVICE_RECONNECT_DELAY_MS);
    sp_pg_set_connect_timeout (self->pg, SP_SERVICE_RECONNECT_TIMEOUT_S);

    if (!self->without_redis && s_connect_redis (self) != 0)
        goto out_failed;
    s_check_dependencies (self);

    self->http = sp_http_new (sp_config_string (self->config, "http"), self->metrics, s_health,
                              self, error, sizeof error);
    if (!self->http) {
        sp_log_error ("could not start the http endpoint", "error=\"%s\"", error);
        goto out_failed;
    }
    self->health_timer =
        zloop_timer (self->loop, SP_SERVICE_HEALTH_INTERVAL_MS, 0, s_health_timer, self);
    if (self->health_timer < 0)
        goto out_failed;
    sp_log_info ("started", "http_port=%d", sp_http_port (self->http));
    return 0;

out_failed:
    self->exit_code = SP_SERVICE_EXIT_FAILURE;
    return -1;
}

int
sp_service_run (sp_service_t *self)
{
    assert (self && self->loop);
    zloop_start (self->loop);
    sp_log_info ("stopping", "reason=\"%s\"", zsys_interrupted ? "signal" : "reactor ended");
    s_call_stop (self);
    return 0;
}

void
sp_service_on_stop (sp_service_t *self, sp_service_stop_fn stop, void *arg)
{
    assert (self);
    self->stop = stop;
    self->stop_arg = arg;
}

/* Writes text into buffer as the inside of a JSON string, cut to fit. */
static void
s_json_escape (const char *text, char *buffer, size_t size)
{
    size_t length = 0;
    for (const char *at = text; *at && length + 3 < size; at++) {
        unsigned char c = (unsigned char) *at;
        if (c == '"' || c == '\\')
            buffer[length++] = '\\';
        buffer[length++] = c < 0x20 ? ' ' : (char) c;
    }
    buffer[length] = '\0';
}

void
sp_service_set_health (sp_service_t *self, const char *check, const char *problem)
{
    assert (self && check && check[0]);
    pthread_mutex_lock (&self->health_lock);
    snprintf (self->check, sizeof self->check, "%s", check);
    self->check_ok = problem == NULL;
    s_json_escape (problem ? problem : "", self->problem, sizeof self->problem);
    pthread_mutex_unlock (&self->health_lock);
}

void
sp_service_set_without_redis (sp_service_t *self)
{
    assert (self && !self->redis);
    self->without_redis = true;
}

/* The whole life, with or without Redis. */
static int
s_main (const sp_service_spec_t *spec, bool without_redis, int argc, char **argv,
        sp_service_attach_fn attach, void *arg)
{
    int exit_code;
    sp_service_t *self = sp_service_new (spec, argc, argv, &exit_code);
    if (!self)
        return exit_code;
    if (without_redis)
        sp_service_set_without_redis (self);
    if (sp_service_start (self) == 0) {
        if (attach && attach (self, arg) != 0)
            self->exit_code = SP_SERVICE_EXIT_FAILURE;
        else
            sp_service_run (self);
    }
    exit_code = self->exit_code;
    sp_log_info ("stopped", "exit_code=%d", exit_code);
    sp_service_destroy (&self);
    return exit_code;
}

int
sp_service_main (const sp_service_spec_t *spec, int argc, char **argv, sp_service_attach_fn attach,
                 void *arg)
{
    return s_main (spec, false, argc, argv, attach, arg);
}

int
sp_service_main_without_redis (const sp_service_spec_t *spec, int argc, char **argv,
                               sp_service_attach_fn attach, void *arg)
{
    return s_main (spec, true, argc, argv, attach, arg);
}

int
sp_service_exit_code (const sp_service_t *self)
{
    assert (self);
    return self->exit_code;
}

const sp_config_t *
sp_service_config (const sp_service_t *self)
{
    assert (self);
    return self->config;
}

sp_metrics_t *
sp_service_metrics (sp_service_t *self)
{
    assert (self);
    return self->metrics;
}

sp_pg_t *
sp_service_pg (sp_service_t *self)
{
    assert (self);
    return self->pg;
}

sp_redis_t *
sp_service_redis (sp_service_t *self)
{
    assert (self);
    return self->redis;
}

zloop_t *
sp_service_loop (sp_service_t *self)
{
    assert (self);
    return self->loop;
}

const sp_tz_t *
sp_service_time_zone (const sp_service_t *self)
{
    assert (self);
    return self->time_zone;
}

int
sp_service_http_port (const sp_service_t *self)
{
    assert (self);
    return self->http ? sp_http_port (self->http) : 0;
}

const char *
sp_service_name (const sp_service_t *self)
{
    assert (self);
    return self->spec->name;
}
