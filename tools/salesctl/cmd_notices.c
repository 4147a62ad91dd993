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
    S_CHECK_MS, PostgreSQL is asked for anything newer, which covers a
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
#include "sp_log.h"
#include "sp_proto.h"
#include "sp_zmq.h"

#include <czmq.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define S_ERROR_SIZE 512
#define S_RECEIVE_MS 200 /* longest wait for one message, so Ctrl-C and --timeout act */
#define S_CHECK_MS 2000  /* PostgreSQL is asked for newer notices after this much quiet */
#define S_MS_PER_SECOND INT64_C (1000)
#define S_SUBSCRIBER_HWM 100000 /* messages queued before ZeroMQ drops (repaired from the log) */
#define S_TIMEOUT_MAX 31536000  /* --timeout: a year of seconds */

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

/* Prints every notice of list whose sequence is above *last, raising
   *last; flushes stdout (a pipe or a file sees each line at once).
   Returns 0, or -1 after printing why. */
static int
s_print_list (const funnel_notice_list_t *list, int64_t *last, bool json)
{
    for (size_t index = 0; index < list->count; index++) {
        const funnel_notice_t *notice = &list->items[index];
        if (notice->sequence <= *last)
            continue;
        if (s_print (notice, json) != 0) {
            fprintf (stderr, "salesctl %s: out of memory writing JSON\n", s_command);
            return -1;
        }
        *last = notice->sequence;
    }
    fflush (stdout);
    return 0;
}

/* ---------------------------------------------------------------- reads */

/* Prints every notice after *last from PostgreSQL, page by page, raising
   *last. *printed (may be NULL) counts them. Returns 0, or -1 after
   printing why. */
static int
s_print_after (sp_pg_t *pg, int64_t *last, bool json, size_t *printed)
{
    for (;;) {
        funnel_notice_list_t page;
        funnel_notice_list_init (&page);
        char error[S_ERROR_SIZE];
        int read = funnel_notice_store_after (pg, *last, FUNNEL_NOTICE_STORE_PAGE, &page, error,
                                              sizeof error);
        if (read < 0) {
            fprintf (stderr, "salesctl %s: %s\n", s_command, error);
            funnel_notice_list_clear (&page);
            return -1;
        }
        int rc = s_print_list (&page, last, json);
        funnel_notice_list_clear (&page);
        if (rc != 0)
            return -1;
        if (printed)
            *printed += (size_t) read;
        if (read < FUNNEL_NOTICE_STORE_PAGE)
            return 0;
    }
}

/* Prints the conditions firing now; *last becomes the newest sequence
   stored. Returns the notices printed, or -1 after printing why. */
static int
s_print_firing (sp_pg_t *pg, int64_t *last, bool json)
{
    funnel_notice_list_t firing;
    funnel_notice_list_init (&firing);
    char error[S_ERROR_SIZE];
    int64_t newest = 0;
    int read = funnel_notice_store_firing (pg, &firing, &newest, error, sizeof error);
    if (read < 0) {
        fprintf (stderr, "salesctl %s: %s\n", s_command, error);
        funnel_notice_list_clear (&firing);
        return -1;
    }
    int64_t printed_last = 0;
    int rc = s_print_list (&firing, &printed_last, json);
    funnel_notice_list_clear (&firing);
    if (rc != 0)
        return -1;
    *last = newest;
    return read;
}

/* ---------------------------------------------------------------- follow */

/* Validator for sp_proto_frame_unpack: reads the message into arg (a
   funnel_notice_t *). */
static int
s_read_message (const ProtobufCMessage *message, void *arg, char *error, size_t error_size)
{
    return funnel_notice_from_message ((const Salespulse__FunnelBottleneck *) message,
                                       (funnel_notice_t *) arg, error, error_size);
}

/* Handles one received message: prints it when it is the next sequence,
   reads the missing ones from PostgreSQL first when it skips some, drops
   it when it was printed already. Returns 0, or -1 when PostgreSQL
   failed (the missing notices are read again at the next gap or quiet
   check). An unreadable message is reported and dropped. */
static int
s_on_message (zmsg_t *message, sp_pg_t *pg, int64_t *last, bool json)
{
    zframe_t *topic = zmsg_first (message);
    zframe_t *payload = zmsg_next (message);
    funnel_notice_t notice;
    char error[S_ERROR_SIZE];
    ProtobufCMessage *unpacked = sp_proto_frame_unpack (
        &salespulse__funnel_bottleneck__descriptor, payload, FUNNEL_NOTICE_MESSAGE_MAX,
        s_read_message, &notice, error, sizeof error);
    if (!unpacked) {
        sp_log_warn ("dropped an unreadable notice", "error=\"%s\" topic_bytes=%zu", error,
                     zframe_size (topic));
        return 0;
    }
    sp_proto_free (&unpacked);
    if (notice.sequence <= *last)
        return 0;
    if (notice.sequence > *last + 1) {
        sp_log_info ("notice sequence gap, reading the missing notices",
                     "last=%" PRId64 " received=%" PRId64, *last, notice.sequence);
        return s_print_after (pg, last, json, NULL);
    }
    funnel_notice_list_t one = { .items = &notice, .count = 1, .capacity = 1 };
    return s_print_list (&one, last, json);
}

/* Prints what arrives until --timeout or Ctrl-C. PostgreSQL being away
   (a restart) does not end it: what it could not read is read at the
   next gap or quiet check, once the connection is back. */
static void
s_follow (zsock_t *subscriber, sp_pg_t *pg, int64_t last, bool json, int64_t timeout_s)
{
    int64_t deadline = timeout_s > 0 ? salesctl_now_ms () + timeout_s * S_MS_PER_SECOND : 0;
    int64_t quiet_since = salesctl_now_ms ();
    sp_log_info ("following notices", "last=%" PRId64, last);
    while (!zsys_interrupted && (deadline == 0 || salesctl_now_ms () < deadline)) {
        zmsg_t *message = NULL;
        char error[S_ERROR_SIZE];
        sp_zmq_receive_result_t received =
            sp_zmq_receive (subscriber, 2, 2, &message, error, sizeof error);
        if (received == SP_ZMQ_BAD_SHAPE) {
            sp_log_warn ("dropped a notice of the wrong shape", "error=\"%s\"", error);
            continue;
        }
        if (received == SP_ZMQ_RECEIVED) {
            s_on_message (message, pg, &last, json);
            zmsg_destroy (&message);
            quiet_since = salesctl_now_ms ();
            continue;
        }
        if (salesctl_now_ms () - quiet_since >= S_CHECK_MS) {
            s_print_after (pg, &last, json, NULL);
            quiet_since = salesctl_now_ms ();
        }
    }
}

/* The SUB socket for --follow, subscribed to every notice. */
static zsock_t *
s_subscribe (const char *endpoints)
{
    static const char *const topics[] = { FUNNEL_NOTICE_TOPIC_PREFIX };
    sp_zmq_options_t options;
    sp_zmq_options_init (&options, ZMQ_SUB);
    options.endpoints = endpoints;
    options.receive_hwm = S_SUBSCRIBER_HWM;
    options.receive_timeout_ms = S_RECEIVE_MS;
    options.max_message_size = FUNNEL_NOTICE_MESSAGE_MAX;
    options.subscriptions = topics;
    options.subscription_count = 1;
    char error[S_ERROR_SIZE];
    zsock_t *subscriber = sp_zmq_socket_new (&options, error, sizeof error);
    if (!subscriber)
        fprintf (stderr, "salesctl %s: could not subscribe to \"%s\": %s\n", s_command, endpoints,
                 error);
    return subscriber;
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
    exit_code = SALESCTL_EXIT_FAILURE;
    sp_pg_t *pg = NULL;
    zsock_t *subscriber = NULL;
    if (sp_config_arg_count (config) > 0) {
        fprintf (stderr, "salesctl %s: unexpected argument \"%s\"\n", s_command,
                 sp_config_arg (config, 0));
        goto out_destroy_config;
    }
    bool json = sp_config_bool (config, "json");
    bool all = sp_config_bool (config, "all");
    bool history = all || sp_config_string (config, "after") != NULL;
    bool follow = sp_config_bool (config, "follow");
    int64_t after = sp_config_string (config, "after") ? sp_config_int (config, "after") : 0;
    if (all && sp_config_string (config, "after")) {
        fprintf (stderr, "salesctl %s: --all and --after cannot be combined\n", s_command);
        goto out_destroy_config;
    }
    if (!follow && sp_config_int (config, "timeout") != 0) {
        fprintf (stderr, "salesctl %s: --timeout needs --follow\n", s_command);
        goto out_destroy_config;
    }
    /* Subscribe before reading the snapshot, so nothing published in
       between is missed (it is then received, or read back by sequence). */
    if (follow && !(subscriber = s_subscribe (sp_config_string (config, "endpoint"))))
        goto out_destroy_config;
    pg = salesctl_postgres_connect (config, s_command);
    if (!pg)
        goto out_destroy_socket;
    int64_t last = after;
    size_t printed = 0;
    if (history) {
        if (s_print_after (pg, &last, json, &printed) != 0)
            goto out_destroy_socket;
        if (!json && !follow)
            printf ("%zu notice%s\n", printed, printed == 1 ? "" : "s");
    }
    else {
        int firing = s_print_firing (pg, &last, json);
        if (firing < 0)
            goto out_destroy_socket;
        if (!json && !follow)
            printf ("%d condition%s firing (newest notice #%" PRId64 ")\n", firing,
                    firing == 1 ? "" : "s", last);
    }
    if (follow)
        s_follow (subscriber, pg, last, json, sp_config_int (config, "timeout"));
    exit_code = SALESCTL_EXIT_OK;

out_destroy_socket:
    sp_zmq_socket_destroy (&subscriber);
    sp_pg_destroy (&pg);
out_destroy_config:
    sp_config_destroy (&config);
    return exit_code;
}
