/*  activity-ingest - entry point.

    activity-ingest validates, de-duplicates and durably logs sales events,
    acknowledges publishers and fans events out on ZeroMQ. This file holds
    its settings and attaches the actor (ingest_server) to the shared
    service life (common/service/sp_service.h); docs/ingest.md describes both.
*/
#include <stdio.h>
#include <stdlib.h>

#include "ingest_server.h"
#include "sp_log.h"
#include "sp_service.h"

#define INGEST_MS_PER_SECOND 1000

static const sp_config_option_t s_options[] = {
    { "http", "SP_HTTP", SP_CONFIG_STRING, "127.0.0.1:9101",
      "listen address of /healthz and /metrics (HOST:PORT, port 0 = any)", 0, 0 },
    { "endpoint", "SP_INGEST_ENDPOINT", SP_CONFIG_STRING, "tcp://127.0.0.1:5550",
      "ROUTER endpoint publishers send IngestRequests to", 0, 0 },
    { "bus", "SP_BUS_ENDPOINT", SP_CONFIG_STRING, "tcp://127.0.0.1:5551",
      "PUB endpoint accepted events are published on after commit", 0, 0 },
    { "max-batch", "SP_INGEST_MAX_BATCH", SP_CONFIG_INT, "1000",
      "most events in one request", 1, 100000 },
    { "max-message-bytes", "SP_INGEST_MAX_MESSAGE_BYTES", SP_CONFIG_INT, "4194304",
      "largest request frame, bytes (ZMQ_MAXMSGSIZE: a larger frame drops the connection)", 1024,
      INT64_C (1073741824) },
    { "max-future", "SP_INGEST_MAX_FUTURE", SP_CONFIG_INT, "86400",
      "occurred_at may be at most this many seconds after the service's clock", 0,
      INT64_C (3153600000) },
    { "max-past", "SP_INGEST_MAX_PAST", SP_CONFIG_INT, "631152000",
      "occurred_at may be at most this many seconds before the service's clock (default 20 years)",
      0, INT64_C (31536000000) },
    { "writers", "SP_INGEST_WRITERS", SP_CONFIG_INT, "2",
      "writer sessions (PostgreSQL connections), each storing the partitions p with "
      "p % writers = its number (at most one per partition)",
      1, 64 },
    { "commit-delay-us", "SP_INGEST_COMMIT_DELAY_US", SP_CONFIG_INT, "200",
      "group commit: how long the first request of a writer's batch waits for others, "
      "microseconds (0 = none)",
      0, 1000000 },
    { "max-pending", "SP_INGEST_MAX_PENDING", SP_CONFIG_INT, "20000",
      "most events waiting for the next transaction; more are refused as overloaded", 1,
      10000000 },
    { "bus-hwm", "SP_BUS_HWM", SP_CONFIG_INT, "100000",
      "PUB send high-water mark per subscriber, messages", 1, 10000000 },
};

static const sp_service_spec_t s_spec = {
    "activity-ingest",
    "validates, de-duplicates and durably logs sales events, acknowledges publishers and fans "
    "events out on ZeroMQ",
    s_options,
    sizeof s_options / sizeof s_options[0],
};

static void
s_stop (sp_service_t *service, void *arg)
{
    (void) service;
    ingest_server_t **server_p = (ingest_server_t **) arg;
    ingest_server_destroy (server_p);
}

static int
s_attach (sp_service_t *service, void *arg)
{
    ingest_server_t **server_p = (ingest_server_t **) arg;
    const sp_config_t *config = sp_service_config (service);
    ingest_server_settings_t settings = {
        .endpoint = sp_config_string (config, "endpoint"),
        .bus = sp_config_string (config, "bus"),
        .postgres_url = sp_config_string (config, "postgres"),
        .partitions = (uint32_t) sp_config_int (config, "partitions"),
        .max_batch = (size_t) sp_config_int (config, "max-batch"),
        .max_message_bytes = (size_t) sp_config_int (config, "max-message-bytes"),
        .max_future_ms = sp_config_int (config, "max-future") * INGEST_MS_PER_SECOND,
        .max_past_ms = sp_config_int (config, "max-past") * INGEST_MS_PER_SECOND,
        .writers = (uint32_t) sp_config_int (config, "writers"),
        .commit_delay_us = sp_config_int (config, "commit-delay-us"),
        .max_pending = (size_t) sp_config_int (config, "max-pending"),
        .bus_hwm = (int) sp_config_int (config, "bus-hwm"),
    };
    char error[512];
    *server_p = ingest_server_new (&settings, sp_service_loop (service),
                                   sp_service_metrics (service), error, sizeof error);
    if (!*server_p) {
        sp_log_error ("could not start the ingest endpoint", "error=\"%s\"", error);
        return -1;
    }
    sp_service_on_stop (service, s_stop, server_p);
    sp_log_info ("accepting requests", "endpoint=\"%s\" bus=\"%s\" writers=%u commit_delay_us=%lld",
                 ingest_server_endpoint (*server_p), ingest_server_bus_endpoint (*server_p),
                 ingest_server_writers (*server_p), (long long) settings.commit_delay_us);
    return 0;
}

int
main (int argc, char **argv)
{
    ingest_server_t *server = NULL;
    /* The log and the bus are all ingest needs: it keeps nothing in Redis,
       so it starts and stays healthy while Redis is down. */
    return sp_service_main_without_redis (&s_spec, argc, argv, s_attach, &server);
}
