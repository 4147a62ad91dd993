/*  salesctl notices - funnel bottleneck notices: the conditions firing
    now, the history, or a live feed.

        salesctl notices [--postgres URL] [--json] [--all | --after SEQ]
                         [--follow [--endpoint E] [--timeout SECONDS]]

    Without --follow: the latest notice of every condition firing now, from
    PostgreSQL (funnel_notice_conditions, migrations/0004_funnel_notices.sql);
    with --all every notice, with --after SEQ those after SEQ, oldest first.

    With --follow, the ZeroMQ guide's Clone pattern: subscribe to
    funnel-tracker's notices PUB socket (--endpoint, comma-separated to
    reach several instances) FIRST, then print the same snapshot from
    PostgreSQL with the newest sequence S it saw, then every notice
    received with a sequence above the last one printed. A notice that
    skips a sequence (a notice lost on the way) makes the missing ones be
    read back from PostgreSQL before it; and when nothing arrived for
    SP_OUTBOX_FOLLOW_QUIET_MS, PostgreSQL is asked for anything newer, which covers a
    lost last notice and the moment before the subscription took effect.
    A notice is printed once, in sequence order. --timeout N stops after
    N seconds (0, the default: until Ctrl-C); both end with status 0.

    Human output, one line per notice (fields two spaces apart):

        #12 FIRING  crm/won  region:West  observed 41.2% < target 50.0%
            sample 120  2017-12-02..2017-12-31
        #13 CLEARED crm/won  region:West  observed 52.0% >= target 50.0%
            sample 130  2017-12-03..2018-01-01  recovered

    (each on one line; docs/funnel-notices.md has real ones), then
    (without --follow) a count. --json: one object per notice and
    line, the fields of salespulse.FunnelBottleneck (proto/funnel.proto)
    with state and reason spelt as in PostgreSQL.
*/
#include "salesctl.h"

#include "funnel-tracker/funnel_notice.h"
#include "funnel-tracker/funnel_notice_store.h"
#include "funnel-tracker/funnel_notifier.h"
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define S_TIMEOUT_MAX 31536000 /* --timeout: a year of seconds */

static const char s_command[] = "notices";

static const sp_config_option_t s_options[] = {
    { "json", NULL, SP_CONFIG_BOOL, "false", "one JSON object per notice", 0, 0 },
    { "all", NULL, SP_CONFIG_BOOL, "false", "every notice ever stored, oldest first", 0, 0 },
    { "after", NULL, SP_CONFIG_INT, NULL, "the notices after this sequence, oldest first", 0,
      INT64_MAX },
    { "follow", NULL, SP_CONFIG_BOOL, "false",
      "then print each new notice as funnel-tracker publishes it", 0, 0 },
    { "endpoint", FUNNEL_NOTIFIER_ENDPOINT_ENV, SP_CONFIG_STRING, FUNNEL_NOTIFIER_ENDPOINT,
      "funnel-tracker's notices PUB endpoint(s) to subscribe to with --follow", 0, 0 },
    { "timeout", NULL, SP_CONFIG_INT, "0",
      "with --follow, stop after this many seconds (0: until Ctrl-C)", 0, S_TIMEOUT_MAX },
};

/* ---------------------------------------------------------------- output */

/* Prints one notice as a line or a JSON object. Returns 0, or -1 when the
   JSON could not be made (out of memory). */
static int
s_print (const funnel_notice_t *notice, bool json)
{
    if (json) {
        json_t *object = json_object ();
        if (!object || json_object_set_new (object, "sequence", json_integer (notice->sequence)) ||
            json_object_set_new (object, "state",
                                 json_string (funnel_notice_state_name (notice->state))) ||
            json_object_set_new (object, "reason",
                                 json_string (funnel_notice_reason_name (notice->reason))) ||
            json_object_set_new (object, "funnel", json_string (notice->funnel)) ||
            json_object_set_new (object, "funnel_version", json_integer (notice->funnel_version)) ||
            json_object_set_new (object, "step", json_string (notice->step)) ||
            json_object_set_new (object, "step_index", json_integer (notice->step_index)) ||
            json_object_set_new (object, "from_step", json_string (notice->from_step)) ||
            json_object_set_new (object, "scope", json_string (notice->scope)) ||
            json_object_set_new (object, "observed_bp", json_integer (notice->observed_bp)) ||
            json_object_set_new (object, "target_bp", json_integer (notice->target_bp)) ||
            json_object_set_new (object, "min_sample", json_integer (notice->min_sample)) ||
            json_object_set_new (object, "sample", json_integer ((json_int_t) notice->sample)) ||
            json_object_set_new (object, "converted",
                                 json_integer ((json_int_t) notice->converted)) ||
            json_object_set_new (object, "first_day", json_string (notice->window.first_day)) ||
            json_object_set_new (object, "last_day", json_string (notice->window.last_day)) ||
            json_object_set_new (object, "window_start_ms",
                                 json_integer (notice->window.start_ms)) ||
            json_object_set_new (object, "window_end_ms", json_integer (notice->window.end_ms)) ||
            json_object_set_new (object, "created_at_ms", json_integer (notice->created_at_ms))) {
            json_decref (object);
            return -1;
        }
        return salesctl_print_json (object);
    }
    char observed[FUNNEL_NOTICE_PERCENT_SIZE], target[FUNNEL_NOTICE_PERCENT_SIZE];
    funnel_notice_percent (notice->observed_bp, observed, sizeof observed);
    funnel_notice_percent (notice->target_bp, target, sizeof target);
    char figures[128];
    switch (notice->reason) {
        case FUNNEL_NOTICE_BELOW_TARGET:
            snprintf (figures, sizeof figures, "observed %s < target %s  sample %" PRIu64, observed,
                      target, notice->sample);
            break;
        case FUNNEL_NOTICE_RECOVERED:
            snprintf (figures, sizeof figures, "observed %s >= target %s  sample %" PRIu64,
                      observed, target, notice->sample);
            break;
        case FUNNEL_NOTICE_SAMPLE_BELOW_MINIMUM:
            snprintf (figures, sizeof figures,
                      "observed %s, target %s  sample %" PRIu64 " < minimum %" PRIu32, observed,
                      target, notice->sample, notice->min_sample);
            break;
        case FUNNEL_NOTICE_TARGET_REMOVED:
            snprintf (figures, sizeof figures, "observed %s, target %s  sample %" PRIu64, observed,
                      target, notice->sample);
            break;
    }
    printf ("#%" PRId64 " %-7s %s/%s  %s  %s  %s..%s%s%s\n", notice->sequence,
            notice->state == FUNNEL_NOTICE_FIRING ? "FIRING" : "CLEARED", notice->funnel,
            notice->step, notice->scope, figures, notice->window.first_day, notice->window.last_day,
            notice->state == FUNNEL_NOTICE_FIRING ? "" : "  ",
            notice->state == FUNNEL_NOTICE_FIRING ? ""
                                                  : funnel_notice_reason_name (notice->reason));
    return 0;
}

/* salesctl_listing_t print: one funnel_notice_t. */
static int
s_print_record (const void *record, bool json)
{
    return s_print ((const funnel_notice_t *) record, json);
}

/* salesctl_listing_t read: a FunnelBottleneck into a funnel_notice_t. */
static int
s_read (const ProtobufCMessage *message, void *record, int64_t *sequence, char *error,
        size_t error_size)
{
    funnel_notice_t *notice = (funnel_notice_t *) record;
    if (funnel_notice_from_message ((const Salespulse__FunnelBottleneck *) message, notice, error,
                                    error_size) != 0)
        return -1;
    *sequence = notice->sequence;
    return 0;
}

int
salesctl_notices (int argc, char **argv)
{
    int exit_code = SALESCTL_EXIT_FAILURE;
    sp_config_t *config = salesctl_config (
        argc, argv,
        "Show funnel bottleneck notices: the conditions firing now, the history (--all, "
        "--after), or a live feed (--follow).",
        s_options, sizeof s_options / sizeof s_options[0], &exit_code);
    if (!config)
        return exit_code;
    const salesctl_listing_t listing = {
        .command = s_command,
        .noun = "notice",
        .mode = "all",
        .firing_by_default = true,
        .store = funnel_notice_store_tables (),
        .print = s_print_record,
        .topic = FUNNEL_NOTICE_TOPIC_PREFIX,
        .descriptor = &salespulse__funnel_bottleneck__descriptor,
        .message_max = FUNNEL_NOTICE_MESSAGE_MAX,
        .read = s_read,
    };
    exit_code = salesctl_listing_run (config, &listing);
    sp_config_destroy (&config);
    return exit_code;
}
