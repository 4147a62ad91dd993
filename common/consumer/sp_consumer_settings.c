/*  sp_consumer_settings - a consumer's settings: read from a service's
    configuration and checked (see sp_consumer.h, SP_CONSUMER_OPTIONS). */
#include "sp_consumer.h"

#include <assert.h>
#include <inttypes.h>

#include "sp_error.h"
#include "sp_partition.h"

void
sp_consumer_settings_from_config (const sp_config_t *config, const char *service,
                                  sp_consumer_settings_t *settings)
{
    assert (config && service && settings);
    *settings = (sp_consumer_settings_t){
        .service = service,
        .bus = sp_config_string (config, "bus"),
        .partitions = (uint32_t) sp_config_int (config, "partitions"),
        .bus_hwm = (int) sp_config_int (config, "bus-hwm"),
        .lease_ttl_ms = sp_config_int (config, "lease-ttl-ms"),
        .poll_ms = (int) sp_config_int (config, "poll-ms"),
        .batch = (size_t) sp_config_int (config, "batch"),
        .step_bytes = (size_t) sp_config_int (config, "step-bytes"),
        .poison_attempts = (int) sp_config_int (config, "poison-attempts"),
        .retry_delay_ms = (int) sp_config_int (config, "retry-delay-ms"),
        .postgres_read = sp_config_string (config, "postgres-read"),
    };
}

int
sp_consumer_settings_check (const sp_consumer_settings_t *settings, char *error, size_t error_size)
{
    if (!settings->service || !settings->bus) {
        sp_error_set (error, error_size, "consumer settings need a service and a bus");
        return -1;
    }
    if (settings->partitions < 1 || settings->partitions > SP_PARTITIONS_MAX) {
        sp_error_set (error, error_size,
                      "consumer setting \"partitions\": %" PRIu32 " is not in 1..%d",
                      settings->partitions, SP_PARTITIONS_MAX);
        return -1;
    }
    if (settings->batch < 1 || settings->batch > SP_CONSUMER_BATCH_MAX_COMMANDS) {
        sp_error_set (error, error_size, "consumer setting \"batch\": %zu is not in 1..%d",
                      settings->batch, SP_CONSUMER_BATCH_MAX_COMMANDS);
        return -1;
    }
    if (settings->step_bytes < 1) {
        sp_error_set (error, error_size, "consumer setting \"step-bytes\" must be at least 1");
        return -1;
    }
    if (settings->poison_attempts < 1 || settings->retry_delay_ms < 1 || settings->poll_ms < 1) {
        sp_error_set (error, error_size,
                      "consumer settings \"poison-attempts\", "
                      "\"retry-delay-ms\" and \"poll-ms\" must be at least 1");
        return -1;
    }
    return 0;
}
