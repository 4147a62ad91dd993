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
#include "salesctl_follow.h"
#include "sp_outbox.h"
#include "sp_proto.h"

#include <czmq.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define S_ERROR_SIZE 512
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

/* What the readers and printers of one run share. */
typedef struct {
    bool json;                /* one JSON object per notice */
    bool history;             /* the snapshot is the history after `after`, not the firing set */
    int64_t after;            /* --after (0 with --all) */
    int64_t printed;          /* notices the snapshot printed */
    funnel_notice_t received; /* the notice read last from the socket */
} s_notices_t;

/* Prints one notice; -1 with the reason when the JSON could not be made. */
static int
s_print_one (const s_notices_t *self, const funnel_notice_t *notice, char *error,
             size_t error_size)
{
    if (s_print (notice, self->json) == 0)
        return 0;
    snprintf (error, error_size, "out of memory writing JSON");
    return -1;
}

/* sp_outbox_page_fn: prints the stored notices after `after`. */
static int
s_page (void *arg, sp_pg_t *pg, int64_t after, size_t limit, int64_t *last, char *error,
        size_t error_size)
{
    s_notices_t *self = (s_notices_t *) arg;
    funnel_notice_list_t page;
    funnel_notice_list_init (&page);
    int read = funnel_notice_store_after (pg, after, limit, &page, error, error_size);
    for (size_t index = 0; read > 0 && index < page.count; index++) {
        if (s_print_one (self, &page.items[index], error, error_size) != 0)
            read = -1;
        else
            *last = page.items[index].sequence;
    }
    funnel_notice_list_clear (&page);
    return read;
}

/* Prints the conditions firing now; *last becomes the newest sequence
   stored. Returns the notices printed, or -1 with the reason. */
static int
s_print_firing (s_notices_t *self, sp_pg_t *pg, int64_t *last, char *error, size_t error_size)
{
    funnel_notice_list_t firing;
    funnel_notice_list_init (&firing);
    int64_t newest = 0;
    int read = funnel_notice_store_firing (pg, &firing, &newest, error, error_size);
    for (size_t index = 0; read > 0 && index < firing.count; index++)
        if (s_print_one (self, &firing.items[index], error, error_size) != 0)
            read = -1;
    funnel_notice_list_clear (&firing);
    if (read >= 0)
        *last = newest;
    return read;
}

/* salesctl_snapshot_fn: the history after --after (--all: from the
   first), or the firing set; counts what it printed. */
static int
s_snapshot (void *arg, sp_pg_t *pg, int64_t *last)
{
    s_notices_t *self = (s_notices_t *) arg;
    char error[S_ERROR_SIZE];
    int64_t read = 0;
    if (self->history) {
        *last = self->after;
        read = sp_outbox_read_after (pg, s_page, self, FUNNEL_NOTICE_STORE_PAGE, last, error,
                                     sizeof error);
    }
    else
        read = s_print_firing (self, pg, last, error, sizeof error);
    fflush (stdout);
    if (read < 0) {
        fprintf (stderr, "salesctl %s: %s\n", s_command, error);
        return -1;
    }
    self->printed = read;
    return 0;
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

/* sp_outbox_follow_handler_t read: frame 1 is a FunnelBottleneck, which
   carries its sequence. */
static int
s_read (void *arg, zmsg_t *message, int64_t *sequence, char *error, size_t error_size)
{
    s_notices_t *self = (s_notices_t *) arg;
    zmsg_first (message);
    zframe_t *payload = zmsg_next (message);
    ProtobufCMessage *unpacked =
        sp_proto_frame_unpack (&salespulse__funnel_bottleneck__descriptor, payload,
                               FUNNEL_NOTICE_MESSAGE_MAX, s_read_message, &self->received, error,
                               error_size);
    if (!unpacked)
        return -1;
    sp_proto_free (&unpacked);
    *sequence = self->received.sequence;
    return 0;
}

/* sp_outbox_follow_handler_t deliver: prints the notice read last. */
static int
s_deliver (void *arg, char *error, size_t error_size)
{
    s_notices_t *self = (s_notices_t *) arg;
    return s_print_one (self, &self->received, error, error_size);
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
    pg = salesctl_postgres_connect (config, s_command);
    if (!pg)
        goto out_destroy_config;
    s_notices_t notices = { .json = json, .history = history, .after = after };
    if (follow) {
        salesctl_follow_t run = {
            .command = s_command,
            .endpoints = sp_config_string (config, "endpoint"),
            .topic = FUNNEL_NOTICE_TOPIC_PREFIX,
            .max_message_size = FUNNEL_NOTICE_MESSAGE_MAX,
            .timeout_s = sp_config_int (config, "timeout"),
            .handler = { .read = s_read, .deliver = s_deliver, .page = s_page, .arg = &notices },
            .snapshot = s_snapshot,
            .snapshot_arg = &notices,
        };
        if (salesctl_follow (&run, pg) == 0)
            exit_code = SALESCTL_EXIT_OK;
        goto out_destroy_pg;
    }
    int64_t last = 0;
    if (s_snapshot (&notices, pg, &last) != 0)
        goto out_destroy_pg;
    if (!json && history)
        printf ("%" PRId64 " notice%s\n", notices.printed, notices.printed == 1 ? "" : "s");
    else if (!json)
        printf ("%" PRId64 " condition%s firing (newest notice #%" PRId64 ")\n", notices.printed,
                notices.printed == 1 ? "" : "s", last);
    exit_code = SALESCTL_EXIT_OK;

out_destroy_pg:
    sp_pg_destroy (&pg);
out_destroy_config:
    sp_config_destroy (&config);
    return exit_code;
}
