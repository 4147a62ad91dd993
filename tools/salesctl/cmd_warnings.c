/*  salesctl warnings - KPI pace warnings: the history, what fires now,
    or a live feed.

        salesctl warnings [--postgres URL] [--json] [--firing | --after SEQ]
                          [--follow [--endpoint E] [--timeout SECONDS]]

    Without --follow: every warning stored, oldest first (--after SEQ:
    those after SEQ), or with --firing the latest warning of every
    condition firing now, from PostgreSQL (kpi_warnings and
    kpi_warning_conditions, migrations/0007_kpi_warnings.sql).

    With --follow, the ZeroMQ guide's Clone pattern (salesctl_follow.h):
    subscribe to kpi-evaluator's warnings PUB socket (--endpoint,
    comma-separated to reach several instances) FIRST, then print the same
    snapshot from PostgreSQL with the newest sequence S it saw, then every
    warning received with a sequence above the last one printed, reading
    back from PostgreSQL what skipped a sequence or arrived while nothing
    was received. A warning is printed once, in sequence order. --timeout N
    stops after N seconds (0, the default: until Ctrl-C); both end with
    status 0.

    Human output, one line per warning (fields two spaces apart):

        #3 FIRING  rep:rep-ana  revenue  2026-03  at_risk  actual 500.00 USD
            projection 1033.33 < floor 2000.00, target 3000.00  as of 2026-03-15
        #4 CLEARED rep:rep-ana  revenue  2026-03  on_track  actual 1500.00 USD
            projection 3100.00, target 3000.00  as of 2026-03-15  recovered

    (each on one line; docs/kpi-warnings.md), then (without --follow) a
    count. --json: one object per warning and line, the fields of
    salespulse.KpiWarning (proto/kpi.proto) with state, reason and
    statuses spelt as in PostgreSQL and values in the KPI's unit
    (kpi_evaluate_value_json: money and counts as integers, ratios as
    fractions, hundredths as numbers).
*/
#include "salesctl.h"

#include "kpi-evaluator/kpi_evaluate.h"
#include "kpi-evaluator/kpi_notifier.h"
#include "kpi-evaluator/kpi_warning.h"
#include "kpi-evaluator/kpi_warning_store.h"
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
#define S_TIMEOUT_MAX 31536000 /* --timeout: a year of seconds */
#define S_VALUE_SIZE 48        /* a value of any unit as text */
#define S_FIGURES_SIZE 256     /* the figures of one line */

static const char s_command[] = "warnings";

static const sp_config_option_t s_options[] = {
    { "json", NULL, SP_CONFIG_BOOL, "false", "one JSON object per warning", 0, 0 },
    { "firing", NULL, SP_CONFIG_BOOL, "false", "the conditions firing now instead of the history",
      0, 0 },
    { "after", NULL, SP_CONFIG_INT, NULL, "the warnings after this sequence, oldest first", 0,
      INT64_MAX },
    { "follow", NULL, SP_CONFIG_BOOL, "false",
      "then print each new warning as kpi-evaluator publishes it", 0, 0 },
    { "endpoint", KPI_NOTIFIER_ENDPOINT_ENV, SP_CONFIG_STRING, KPI_NOTIFIER_ENDPOINT,
      "kpi-evaluator's warnings PUB endpoint(s) to subscribe to with --follow", 0, 0 },
    { "timeout", NULL, SP_CONFIG_INT, "0",
      "with --follow, stop after this many seconds (0: until Ctrl-C)", 0, S_TIMEOUT_MAX },
};

/* ---------------------------------------------------------------- output */

/* Writes value in unit for people: money and hundredths with two
   decimals, ratios as percentages, counts as they are. */
static void
s_value (kpi_unit_t unit, int64_t value, char *buffer, size_t size)
{
    const char *sign = value < 0 ? "-" : "";
    uint64_t magnitude = value < 0 ? (uint64_t) 0 - (uint64_t) value : (uint64_t) value;
    switch (unit) {
        case KPI_UNIT_COUNT:
            snprintf (buffer, size, "%" PRId64, value);
            break;
        case KPI_UNIT_RATIO:
            snprintf (buffer, size, "%s%" PRIu64 ".%02" PRIu64 "%%", sign, magnitude / 100,
                      magnitude % 100);
            break;
        default:
            snprintf (buffer, size, "%s%" PRIu64 ".%02" PRIu64, sign, magnitude / 100,
                      magnitude % 100);
            break;
    }
}

/* The warning as a JSON object; NULL when out of memory. */
static json_t *
s_json (const kpi_warning_t *warning)
{
    kpi_unit_t unit = warning->unit;
    return json_pack (
        "{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:I, s:I, s:s, "
        "s:I, s:I}",
        "sequence", (json_int_t) warning->sequence, "state",
        kpi_warning_state_name (warning->state), "reason",
        kpi_warning_reason_name (warning->reason), "node", warning->node, "kpi", warning->kpi,
        "period", warning->period, "status", kpi_warning_status_name (warning->status),
        "fired_status", kpi_warning_status_name (warning->fired_status), "unit",
        kpi_catalog_unit_name (unit), "currency", warning->currency, "actual",
        kpi_evaluate_value_json (unit, warning->actual), "target",
        kpi_evaluate_value_json (unit, warning->target), "floor",
        warning->has_floor ? kpi_evaluate_value_json (unit, warning->floor) : json_null (),
        "projection", kpi_evaluate_value_json (unit, warning->projection), "days_elapsed",
        (json_int_t) warning->days_elapsed, "days_total", (json_int_t) warning->days_total,
        "as_of_day", warning->as_of_day, "at_ms", (json_int_t) warning->at_ms, "created_at_ms",
        (json_int_t) warning->created_at_ms);
}

/* Prints one warning as a line or a JSON object. Returns 0, or -1 when
   the JSON could not be made (out of memory). */
static int
s_print (const kpi_warning_t *warning, bool json)
{
    if (json)
        return salesctl_print_json (s_json (warning));
    char actual[S_VALUE_SIZE], projection[S_VALUE_SIZE], target[S_VALUE_SIZE],
        floor_text[S_VALUE_SIZE], figures[S_FIGURES_SIZE];
    s_value (warning->unit, warning->actual, actual, sizeof actual);
    s_value (warning->unit, warning->projection, projection, sizeof projection);
    s_value (warning->unit, warning->target, target, sizeof target);
    s_value (warning->unit, warning->floor, floor_text, sizeof floor_text);
    bool firing = warning->state == KPI_WARNING_FIRING;
    if (firing && warning->has_floor && warning->fired_status == KPI_PACE_AT_RISK)
        snprintf (figures, sizeof figures, "projection %s < floor %s, target %s", projection,
                  floor_text, target);
    else if (firing)
        snprintf (figures, sizeof figures, "projection %s < target %s", projection, target);
    else
        snprintf (figures, sizeof figures, "projection %s, target %s", projection, target);
    printf ("#%" PRId64 " %-7s %s  %s  %s  %s  actual %s%s%s  %s  as of %s%s%s\n",
            warning->sequence, firing ? "FIRING" : "CLEARED", warning->node, warning->kpi,
            warning->period, kpi_warning_status_name (warning->status), actual,
            *warning->currency ? " " : "", warning->currency, figures, warning->as_of_day,
            firing ? "" : "  ", firing ? "" : kpi_warning_reason_name (warning->reason));
    return 0;
}

/* What the readers and printers of one run share. */
typedef struct {
    bool json;              /* one JSON object per warning */
    bool firing;            /* the snapshot is the firing set, not the history */
    int64_t after;          /* --after (0: from the first) */
    int64_t printed;        /* warnings the snapshot printed */
    kpi_warning_t received; /* the warning read last from the socket */
} s_warnings_t;

/* Prints one warning; -1 with the reason when the JSON could not be made. */
static int
s_print_one (const s_warnings_t *self, const kpi_warning_t *warning, char *error, size_t error_size)
{
    if (s_print (warning, self->json) == 0)
        return 0;
    snprintf (error, error_size, "out of memory writing JSON");
    return -1;
}

/* sp_outbox_page_fn: prints the stored warnings after `after`. */
static int
s_page (void *arg, sp_pg_t *pg, int64_t after, size_t limit, int64_t *last, char *error,
        size_t error_size)
{
    s_warnings_t *self = (s_warnings_t *) arg;
    kpi_warning_list_t page;
    kpi_warning_list_init (&page);
    int read = kpi_warning_store_after (pg, after, limit, &page, error, error_size);
    for (size_t index = 0; read > 0 && index < page.count; index++) {
        if (s_print_one (self, &page.items[index], error, error_size) != 0)
            read = -1;
        else
            *last = page.items[index].sequence;
    }
    kpi_warning_list_clear (&page);
    return read;
}

/* Prints the conditions firing now; *last becomes the newest sequence
   stored. Returns the warnings printed, or -1 with the reason. */
static int
s_print_firing (s_warnings_t *self, sp_pg_t *pg, int64_t *last, char *error, size_t error_size)
{
    kpi_warning_list_t firing;
    kpi_warning_list_init (&firing);
    int64_t newest = 0;
    int read = kpi_warning_store_firing (pg, &firing, &newest, error, error_size);
    for (size_t index = 0; read > 0 && index < firing.count; index++)
        if (s_print_one (self, &firing.items[index], error, error_size) != 0)
            read = -1;
    kpi_warning_list_clear (&firing);
    if (read >= 0)
        *last = newest;
    return read;
}

/* salesctl_snapshot_fn: the history after --after, or the firing set;
   counts what it printed. */
static int
s_snapshot (void *arg, sp_pg_t *pg, int64_t *last)
{
    s_warnings_t *self = (s_warnings_t *) arg;
    char error[S_ERROR_SIZE];
    int64_t read = 0;
    if (self->firing)
        read = s_print_firing (self, pg, last, error, sizeof error);
    else {
        *last = self->after;
        read = sp_outbox_read_after (pg, s_page, self, KPI_WARNING_STORE_PAGE, last, error,
                                     sizeof error);
    }
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
   kpi_warning_t *). */
static int
s_read_message (const ProtobufCMessage *message, void *arg, char *error, size_t error_size)
{
    return kpi_warning_from_message ((const Salespulse__KpiWarning *) message,
                                     (kpi_warning_t *) arg, error, error_size);
}

/* sp_outbox_follow_handler_t read: frame 1 is a KpiWarning, which carries
   its sequence. */
static int
s_read (void *arg, zmsg_t *message, int64_t *sequence, char *error, size_t error_size)
{
    s_warnings_t *self = (s_warnings_t *) arg;
    zmsg_first (message);
    zframe_t *payload = zmsg_next (message);
    ProtobufCMessage *unpacked = sp_proto_frame_unpack (
        &salespulse__kpi_warning__descriptor, payload, KPI_WARNING_MESSAGE_MAX, s_read_message,
        &self->received, error, error_size);
    if (!unpacked)
        return -1;
    sp_proto_free (&unpacked);
    *sequence = self->received.sequence;
    return 0;
}

/* sp_outbox_follow_handler_t deliver: prints the warning read last. */
static int
s_deliver (void *arg, char *error, size_t error_size)
{
    s_warnings_t *self = (s_warnings_t *) arg;
    return s_print_one (self, &self->received, error, error_size);
}

int
salesctl_warnings (int argc, char **argv)
{
    int exit_code = SALESCTL_EXIT_FAILURE;
    sp_config_t *config = salesctl_config (
        argc, argv,
        "Show KPI pace warnings: the history (--after), the conditions firing now (--firing), "
        "or a live feed (--follow).",
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
    bool firing = sp_config_bool (config, "firing");
    bool follow = sp_config_bool (config, "follow");
    bool has_after = sp_config_string (config, "after") != NULL;
    int64_t after = has_after ? sp_config_int (config, "after") : 0;
    if (firing && has_after) {
        fprintf (stderr, "salesctl %s: --firing and --after cannot be combined\n", s_command);
        goto out_destroy_config;
    }
    if (!follow && sp_config_int (config, "timeout") != 0) {
        fprintf (stderr, "salesctl %s: --timeout needs --follow\n", s_command);
        goto out_destroy_config;
    }
    pg = salesctl_postgres_connect (config, s_command);
    if (!pg)
        goto out_destroy_config;
    s_warnings_t warnings = { .json = json, .firing = firing, .after = after };
    if (follow) {
        salesctl_follow_t run = {
            .command = s_command,
            .endpoints = sp_config_string (config, "endpoint"),
            .topic = KPI_WARNING_TOPIC_PREFIX,
            .max_message_size = KPI_WARNING_MESSAGE_MAX,
            .timeout_s = sp_config_int (config, "timeout"),
            .handler = { .read = s_read, .deliver = s_deliver, .page = s_page, .arg = &warnings },
            .snapshot = s_snapshot,
            .snapshot_arg = &warnings,
        };
        if (salesctl_follow (&run, pg) == 0)
            exit_code = SALESCTL_EXIT_OK;
        goto out_destroy_pg;
    }
    int64_t last = 0;
    if (s_snapshot (&warnings, pg, &last) != 0)
        goto out_destroy_pg;
    if (!json && !firing)
        printf ("%" PRId64 " warning%s\n", warnings.printed, warnings.printed == 1 ? "" : "s");
    else if (!json)
        printf ("%" PRId64 " condition%s firing (newest warning #%" PRId64 ")\n", warnings.printed,
                warnings.printed == 1 ? "" : "s", last);
    exit_code = SALESCTL_EXIT_OK;

out_destroy_pg:
    sp_pg_destroy (&pg);
out_destroy_config:
    sp_config_destroy (&config);
    return exit_code;
}
