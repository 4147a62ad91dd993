/*  counting-consumer - the simplest real consumer of the event log, for
    the consumer framework's acceptance tests and benchmark.

    Its handler counts events per event type and per customer in two Redis
    hashes of the event's partition:
        counting-consumer:{pN}:count:type       type name -> events
        counting-consumer:{pN}:count:customer   customer_id -> events
    Summed over the partitions, these must equal `SELECT type, count(*)
    FROM events GROUP BY type` (and the same by customer_id) on the log:
    nothing lost, nothing applied twice.

    --fail-event-id makes the handler fail on that one event, so tests can
    watch it being retried and quarantined while every other event is
    applied. Everything else is common/consumer/sp_consumer.h and sp_service.h.
*/
#include <stdio.h>
#include <string.h>

#include "sp_consumer.h"
#include "sp_event.h"
#include "sp_partition.h"
#include "sp_service.h"

/* Hash field for an event without a customer. */
#define NO_CUSTOMER "-"

static const sp_config_option_t s_options[] = {
    { "http", "SP_HTTP", SP_CONFIG_STRING, "127.0.0.1:9109",
      "listen address of /healthz and /metrics (HOST:PORT, port 0 = any)", 0, 0 },
    { "fail-event-id", "SP_COUNTING_FAIL_EVENT_ID", SP_CONFIG_STRING, "",
      "event_id the handler fails on (tests of the poison-event quarantine); empty = none", 0,
      0 },
    SP_CONSUMER_OPTIONS,
};

static const sp_service_spec_t s_spec = {
    "counting-consumer",
    "counts events per type and per customer in Redis (consumer framework tests and benchmark)",
    s_options,
    sizeof s_options / sizeof s_options[0],
};

/* Adds one HINCRBY of field by 1 on the partition's hash named suffix. */
static int
s_count (sp_consumer_batch_t *batch, const char *suffix, const char *field, char *error,
         size_t error_size)
{
    char key[SP_PARTITION_KEY_MAX];
    if (sp_consumer_batch_key (batch, suffix, key, sizeof key) < 0) {
        snprintf (error, error_size, "key for \"%s\" does not fit", suffix);
        return -1;
    }
    const char *argv[] = { "HINCRBY", key, field, "1" };
    if (sp_consumer_batch_command (batch, 4, argv, NULL) != 0) {
        snprintf (error, error_size, "could not add a command to the batch");
        return -1;
    }
    return 0;
}

static int
s_apply (void *arg, const sp_consumer_event_t *event, sp_consumer_view_t *view,
         sp_consumer_batch_t *batch, char *error, size_t error_size)
{
    (void) view; /* it only adds: no state to read, so no begin either */
    const char *fail_event_id = (const char *) arg;
    if (*fail_event_id && strcmp (event->event_id, fail_event_id) == 0) {
        snprintf (error, error_size, "event \"%s\" refused on purpose (--fail-event-id)",
                  event->event_id);
        return -1;
    }
    const char *type = sp_event_type_name (event->event->type);
    const char *customer = event->event->customer_id;
    if (s_count (batch, "count:type", type ? type : "unknown", error, error_size) != 0)
        return -1;
    return s_count (batch, "count:customer", customer && *customer ? customer : NO_CUSTOMER,
                    error, error_size);
}

static int
s_attach (sp_service_t *service, void *arg)
{
    (void) arg;
    sp_consumer_handler_t handler = {
        .apply = s_apply,
        .arg = (void *) sp_config_string (sp_service_config (service), "fail-event-id"),
    };
    return sp_consumer_attach (service, &handler);
}

int
main (int argc, char **argv)
{
    return sp_service_main (&s_spec, argc, argv, s_attach, NULL);
}
