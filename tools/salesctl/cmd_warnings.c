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
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

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

/* salesctl_listing_t print: one kpi_warning_t. */
static int
s_print_record (const void *record, bool json)
{
    return s_print ((const kpi_warning_t *) record, json);
}

/* salesctl_listing_t read: a KpiWarning into a kpi_warning_t. */
static int
s_read (const ProtobufCMessage *message, void *record, int64_t *sequence, char *error,
        size_t error_size)
{
    kpi_warning_t *warning = (kpi_warning_t *) record;
    if (kpi_warning_from_message ((const Salespulse__KpiWarning *) message, warning, error,
                                  error_size) != 0)
        return -1;
    *sequence = warning->sequence;
    return 0;
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
    const salesctl_listing_t listing = {
        .command = s_command,
        .noun = "warning",
        .mode = "firing",
        .firing_by_default = false,
        .store = kpi_warning_store_tables (),
        .print = s_print_record,
        .topic = KPI_WARNING_TOPIC_PREFIX,
        .descriptor = &salespulse__kpi_warning__descriptor,
        .message_max = KPI_WARNING_MESSAGE_MAX,
        .read = s_read,
    };
    exit_code = salesctl_listing_run (config, &listing);
    sp_config_destroy (&config);
    return exit_code;
}
