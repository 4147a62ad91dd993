/*  salesctl statements - the statements locked by `salesctl close-period`,
    as payroll reads them: the history, or a live feed.

        salesctl statements [--after SEQ] [--rep REP] [--json]
                            [--follow [--endpoint E] [--timeout SECONDS]]
                            [--postgres URL]

    Without --follow: every stored statement after SEQ (default: all),
    oldest first, from PostgreSQL (incentive_statements, migration 0011),
    then a count. With --follow, the ZeroMQ guide's Clone pattern
    (salesctl_follow.h): subscribe to incentive-calculator's statements
    PUB socket (--endpoint, comma-separated for several instances) first,
    print the same history, then every statement published with a
    sequence above the last printed, reading back from PostgreSQL what
    skipped a sequence. A statement is printed once, in sequence order.
    --rep prints only that rep's (sequences still advance).

    Human output, one line per statement:

        #3 2017-Q2 rep-ana net 1200.00 USD (closed at 2026-12-07T12:51:01.088Z)

    --json: one object per line, {"statement_seq", "rep_id", "period",
    "currency", "net_payout", "closed_at_ms", "statement"} where statement
    is the document `salesctl statement --json` prints for the closed
    period.
*/
#include "salesctl.h"
#include "salesctl_follow.h"

#include "incentive-calculator/incentive_close.h"
#include "incentive-calculator/incentive_outbox.h"
#include "incentive-calculator/incentive_publisher.h"
#include "sp_event.h"
#include "sp_money.h"
#include "sp_proto.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_TIMEOUT_MAX 31536000 /* --timeout: a year of seconds */
#define S_PAGE 100
#define S_MONEY_SIZE 40

static const char s_command[] = "statements";

static const sp_config_option_t s_options[] = {
    { "json", NULL, SP_CONFIG_BOOL, "false", "one JSON object per statement", 0, 0 },
    { "after", NULL, SP_CONFIG_INT, "0", "the statements after this sequence, oldest first", 0,
      INT64_MAX },
    { "rep", NULL, SP_CONFIG_STRING, "", "only this rep's statements", 0, 0 },
    { "follow", NULL, SP_CONFIG_BOOL, "false",
      "then print each statement as incentive-calculator publishes it", 0, 0 },
    { "endpoint", INCENTIVE_PUBLISHER_ENDPOINT_ENV, SP_CONFIG_STRING, INCENTIVE_PUBLISHER_ENDPOINT,
      "incentive-calculator's statements PUB endpoint(s) to subscribe to with --follow", 0, 0 },
    { "timeout", NULL, SP_CONFIG_INT, "0",
      "with --follow, stop after this many seconds (0: until Ctrl-C)", 0, S_TIMEOUT_MAX },
};

typedef struct {
    bool json;
    const char *rep;                          /* "" for every rep */
    int64_t after;                            /* the history starts after it */
    int64_t printed;                          /* statements printed */
    Salespulse__IncentiveStatement *received; /* read last, to deliver */
} s_run_t;

/* Prints one statement. Returns 0, or -1 with the reason. */
static int
s_print (s_run_t *self, const incentive_outbox_row_t *row, char *error, size_t error_size)
{
    if (*self->rep && strcmp (self->rep, row->rep_id) != 0)
        return 0;
    self->printed++;
    if (self->json) {
        json_t *statement = json_loads (row->document, 0, NULL);
        json_t *object = json_pack (
            "{s:I, s:s, s:s, s:s, s:I, s:I, s:o}", "statement_seq", (json_int_t) row->sequence,
            "rep_id", row->rep_id, "period", row->period, "currency", row->currency, "net_payout",
            (json_int_t) row->net_payout, "closed_at_ms", (json_int_t) row->closed_at_ms,
            "statement", statement ? statement : json_null ());
        if (salesctl_print_json (object) != 0) {
            snprintf (error, error_size, "out of memory");
            return -1;
        }
    }
    else {
        char money[S_MONEY_SIZE], closed[SP_EVENT_TIME_TEXT_SIZE] = "";
        if (sp_money_format (row->net_payout, row->currency, money, sizeof money) != SP_MONEY_OK)
            snprintf (money, sizeof money, "%" PRId64 " minor units", row->net_payout);
        sp_event_time_format (row->closed_at_ms, closed, sizeof closed);
        printf ("#%" PRId64 " %s %s net %s %s (closed at %s)\n", row->sequence, row->period,
                row->rep_id, money, row->currency, closed);
    }
    fflush (stdout);
    return 0;
}

/* incentive_outbox_visit_fn: prints a stored statement. */
static int
s_visit (void *arg, const incentive_outbox_row_t *row, char *error, size_t error_size)
{
    return s_print (arg, row, error, error_size);
}

/* sp_outbox_page_fn: stored statements after a sequence, printed. */
static int
s_page (void *arg, sp_pg_t *pg, int64_t after, size_t limit, int64_t *last, char *error,
        size_t error_size)
{
    incentive_outbox_reader_t reader = { .visit = s_visit, .arg = arg };
    return incentive_outbox_page (&reader, pg, after, limit, last, error, error_size);
}

/* salesctl_snapshot_fn: the history after --after. */
static int
s_snapshot (void *arg, sp_pg_t *pg, int64_t *last)
{
    s_run_t *self = arg;
    char error[512];
    *last = self->after;
    if (sp_outbox_read_after (pg, s_page, self, S_PAGE, last, error, sizeof error) < 0) {
        fprintf (stderr, "salesctl %s: %s\n", s_command, error);
        return -1;
    }
    return 0;
}

/* sp_outbox_follow_handler_t read: frame 1 is the statement. */
static int
s_read (void *arg, zmsg_t *message, int64_t *sequence, char *error, size_t error_size)
{
    s_run_t *self = arg;
    zmsg_first (message);
    zframe_t *payload = zmsg_next (message);
    ProtobufCMessage *unpacked =
        payload ? sp_proto_frame_unpack (&salespulse__incentive_statement__descriptor, payload,
                                         (size_t) INCENTIVE_OUTBOX_MESSAGE_MAX, NULL, NULL, error,
                                         error_size)
                : NULL;
    if (!unpacked) {
        if (!payload)
            snprintf (error, error_size, "a message without its statement frame");
        return -1;
    }
    ProtobufCMessage *old = (ProtobufCMessage *) self->received;
    sp_proto_free (&old);
    self->received = (Salespulse__IncentiveStatement *) unpacked;
    *sequence = (int64_t) self->received->statement_seq;
    return 0;
}

/* sp_outbox_follow_handler_t deliver: prints the statement read last. */
static int
s_deliver (void *arg, char *error, size_t error_size)
{
    s_run_t *self = arg;
    const Salespulse__IncentiveStatement *message = self->received;
    incentive_outbox_row_t row = {
        .sequence = (int64_t) message->statement_seq,
        .rep_id = message->rep_id,
        .period = message->period,
        .currency = message->currency,
        .net_payout = message->net_payout,
        .document = message->document,
        .closed_at_ms = message->closed_at_ms,
    };
    return s_print (self, &row, error, error_size);
}

int
salesctl_statements (int argc, char **argv)
{
    int exit_code = SALESCTL_EXIT_FAILURE;
    sp_config_t *config = salesctl_config (
        argc, argv,
        "Show the commission statements locked by close-period: the history (--after), or a "
        "live feed (--follow) as payroll follows them.",
        s_options, sizeof s_options / sizeof s_options[0], &exit_code);
    if (!config)
        return exit_code;
    exit_code = SALESCTL_EXIT_FAILURE;
    s_run_t self = {
        .json = sp_config_bool (config, "json"),
        .rep = sp_config_string (config, "rep"),
        .after = sp_config_int (config, "after"),
    };
    bool follow = sp_config_bool (config, "follow");
    sp_pg_t *pg = NULL;
    if (sp_config_arg_count (config) > 0) {
        fprintf (stderr, "salesctl %s: unexpected argument \"%s\"\n", s_command,
                 sp_config_arg (config, 0));
        goto out;
    }
    if (!follow && sp_config_int (config, "timeout") != 0) {
        fprintf (stderr, "salesctl %s: --timeout needs --follow\n", s_command);
        goto out;
    }
    pg = salesctl_postgres_connect (config, s_command);
    if (!pg)
        goto out;
    if (follow) {
        salesctl_follow_t run = {
            .command = s_command,
            .endpoints = sp_config_string (config, "endpoint"),
            .topic = INCENTIVE_CLOSE_TOPIC, /* every rep: sequences are the stream's */
            .max_message_size = INCENTIVE_OUTBOX_MESSAGE_MAX,
            .timeout_s = sp_config_int (config, "timeout"),
            .handler = { .read = s_read, .deliver = s_deliver, .page = s_page, .arg = &self },
            .snapshot = s_snapshot,
            .snapshot_arg = &self,
        };
        if (salesctl_follow (&run, pg) == 0)
            exit_code = SALESCTL_EXIT_OK;
        goto out;
    }
    int64_t last = 0;
    if (s_snapshot (&self, pg, &last) != 0)
        goto out;
    if (!self.json)
        printf ("%" PRId64 " statement%s\n", self.printed, self.printed == 1 ? "" : "s");
    exit_code = fflush (stdout) == 0 ? SALESCTL_EXIT_OK : SALESCTL_EXIT_FAILURE;
out : {
    ProtobufCMessage *received = (ProtobufCMessage *) self.received;
    sp_proto_free (&received);
}
    sp_pg_destroy (&pg);
    sp_config_destroy (&config);
    return exit_code;
}
