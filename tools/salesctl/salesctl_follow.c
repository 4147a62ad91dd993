/*  salesctl_follow - `--follow` of the outbox streams (see
    salesctl_follow.h), and the commands that show a stream of condition
    transitions around it (salesctl_listing_run, salesctl.h). */
#include "salesctl_follow.h"

#include "salesctl.h"

#include <assert.h>
#include <czmq.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "sp_log.h"
#include "sp_outbox.h"
#include "sp_proto.h"

#define S_ERROR_SIZE 512
#define S_MS_PER_SECOND INT64_C (1000)

int
salesctl_follow (const salesctl_follow_t *follow, sp_pg_t *pg)
{
    assert (follow && pg && follow->snapshot && follow->timeout_s >= 0);
    char error[S_ERROR_SIZE];
    const char *const topics[] = { follow->topic };
    /* Subscribed before the snapshot is read, so nothing published in
       between is missed: it is received, or read back by sequence. */
    sp_outbox_follow_t *follower =
        sp_outbox_follow_new (follow->endpoints, topics, 1, follow->max_message_size,
                              &follow->handler, error, sizeof error);
    if (!follower) {
        fprintf (stderr, "salesctl %s: %s\n", follow->command, error);
        return -1;
    }
    int rc = -1;
    int64_t last = 0;
    if (follow->snapshot (follow->snapshot_arg, pg, &last) != 0)
        goto out_destroy;
    fflush (stdout);
    sp_outbox_follow_start (follower, last);
    char what[S_ERROR_SIZE];
    snprintf (what, sizeof what, "following %s", follow->command);
    sp_log_info (what, "last=%" PRId64, last);
    int64_t deadline =
        follow->timeout_s > 0 ? salesctl_now_ms () + follow->timeout_s * S_MS_PER_SECOND : 0;
    bool failing = false;
    while (!zsys_interrupted && (deadline == 0 || salesctl_now_ms () < deadline)) {
        int delivered = sp_outbox_follow_turn (follower, pg, error, sizeof error);
        if (delivered > 0)
            fflush (stdout);
        if (delivered < 0 && !failing)
            sp_log_warn ("could not read messages back, trying again at the next check",
                         "command=%s error=\"%s\"", follow->command, error);
        else if (delivered > 0 && failing)
            sp_log_info ("reading messages back again", "command=%s", follow->command);
        if (delivered != 0)
            failing = delivered < 0;
    }
    rc = 0;

out_destroy:
    sp_outbox_follow_destroy (&follower);
    return rc;
}

/* ---------------------------------------------------------------- listing */

/* What the readers and printers of one listing run share. */
typedef struct {
    const salesctl_listing_t *listing; /* the command's own parts */
    bool json;                         /* one JSON object per message */
    bool firing;                       /* the snapshot is the firing set, not the history */
    int64_t after;                     /* --after (0: from the first) */
    int64_t printed;                   /* messages the snapshot printed (kept) */
    int64_t kept;                      /* records the filter let through so far */
    void *received;                    /* the record read last from the socket */
    int64_t received_sequence;         /* its sequence */
} s_listing_t;

/* What s_visit_print prints for. */
typedef struct {
    s_listing_t *self; /* the run */
    int64_t *last;     /* raised to each sequence printed, or NULL */
} s_printer_t;

/* Prints one record (unless the command's filter drops it); -1 with the
   reason when the JSON could not be made. */
static int
s_print_one (s_listing_t *self, const void *record, char *error, size_t error_size)
{
    if (self->listing->keep && !self->listing->keep (record, self->listing->keep_arg))
        return 0;
    self->kept++;
    if (self->listing->print (record, self->json) == 0)
        return 0;
    snprintf (error, error_size, "out of memory writing JSON");
    return -1;
}

/* sp_outbox_store_visit_fn: prints one record (arg an s_printer_t);
   its last, when not NULL, becomes the record's sequence. */
static int
s_visit_print (void *arg, int64_t sequence, const void *record, char *error, size_t error_size)
{
    s_printer_t *printer = (s_printer_t *) arg;
    if (s_print_one (printer->self, record, error, error_size) != 0)
        return -1;
    if (printer->last)
        *printer->last = sequence;
    return 0;
}

/* sp_outbox_page_fn: prints the stored messages after `after`. */
static int
s_page (void *arg, sp_pg_t *pg, int64_t after, size_t limit, int64_t *last, char *error,
        size_t error_size)
{
    s_listing_t *self = (s_listing_t *) arg;
    s_printer_t printer = { .self = self, .last = last };
    return sp_outbox_store_after (pg, self->listing->store, after, limit, s_visit_print, &printer,
                                  error, error_size);
}

/* salesctl_snapshot_fn: the history after --after, or the firing set;
   counts what it printed. */
static int
s_snapshot (void *arg, sp_pg_t *pg, int64_t *last)
{
    s_listing_t *self = (s_listing_t *) arg;
    char error[S_ERROR_SIZE];
    int64_t read = 0;
    if (self->firing) {
        s_printer_t printer = { .self = self, .last = NULL };
        read = sp_outbox_store_firing (pg, self->listing->store, s_visit_print, &printer, last,
                                       error, sizeof error);
    }
    else {
        *last = self->after;
        read =
            sp_outbox_read_after (pg, s_page, self, SP_OUTBOX_PAGE_MAX, last, error, sizeof error);
    }
    fflush (stdout);
    if (read < 0) {
        fprintf (stderr, "salesctl %s: %s\n", self->listing->command, error);
        return -1;
    }
    self->printed = self->listing->keep ? self->kept : read;
    return 0;
}

/* Validator for sp_proto_frame_unpack: reads the message into the run's
   received record. */
static int
s_read_message (const ProtobufCMessage *message, void *arg, char *error, size_t error_size)
{
    s_listing_t *self = (s_listing_t *) arg;
    return self->listing->read (message, self->received, &self->received_sequence, error,
                                error_size);
}

/* sp_outbox_follow_handler_t read: frame 1 is the stream's message, which
   carries its sequence. */
static int
s_read (void *arg, zmsg_t *message, int64_t *sequence, char *error, size_t error_size)
{
    s_listing_t *self = (s_listing_t *) arg;
    zmsg_first (message);
    zframe_t *payload = zmsg_next (message);
    ProtobufCMessage *unpacked =
        sp_proto_frame_unpack (self->listing->descriptor, payload, self->listing->message_max,
                               s_read_message, self, error, error_size);
    if (!unpacked)
        return -1;
    sp_proto_free (&unpacked);
    *sequence = self->received_sequence;
    return 0;
}

/* sp_outbox_follow_handler_t deliver: prints the record read last. */
static int
s_deliver (void *arg, char *error, size_t error_size)
{
    s_listing_t *self = (s_listing_t *) arg;
    return s_print_one (self, self->received, error, error_size);
}

int
salesctl_listing_run (const sp_config_t *config, const salesctl_listing_t *listing)
{
    assert (config && listing && listing->store && listing->print && listing->read);
    const char *command = listing->command;
    if (sp_config_arg_count (config) > 0) {
        fprintf (stderr, "salesctl %s: unexpected argument \"%s\"\n", command,
                 sp_config_arg (config, 0));
        return SALESCTL_EXIT_FAILURE;
    }
    bool json = sp_config_bool (config, "json");
    bool mode = sp_config_bool (config, listing->mode);
    bool follow = sp_config_bool (config, "follow");
    bool has_after = sp_config_string (config, "after") != NULL;
    int64_t after = has_after ? sp_config_int (config, "after") : 0;
    if (mode && has_after) {
        fprintf (stderr, "salesctl %s: --%s and --after cannot be combined\n", command,
                 listing->mode);
        return SALESCTL_EXIT_FAILURE;
    }
    if (!follow && sp_config_int (config, "timeout") != 0) {
        fprintf (stderr, "salesctl %s: --timeout needs --follow\n", command);
        return SALESCTL_EXIT_FAILURE;
    }
    void *received = calloc (1, listing->store->record_size);
    if (!received) {
        fprintf (stderr, "salesctl %s: out of memory\n", command);
        return SALESCTL_EXIT_FAILURE;
    }
    int exit_code = SALESCTL_EXIT_FAILURE;
    sp_pg_t *pg = salesctl_postgres_connect (config, command);
    if (!pg)
        goto out_free;
    s_listing_t self = {
        .listing = listing,
        .json = json,
        .firing = listing->firing_by_default ? !(mode || has_after) : mode,
        .after = after,
        .received = received,
    };
    if (follow) {
        salesctl_follow_t run = {
            .command = command,
            .endpoints = sp_config_string (config, "endpoint"),
            .topic = listing->topic,
            .max_message_size = (int64_t) listing->message_max,
            .timeout_s = sp_config_int (config, "timeout"),
            .handler = { .read = s_read, .deliver = s_deliver, .page = s_page, .arg = &self },
            .snapshot = s_snapshot,
            .snapshot_arg = &self,
        };
        if (salesctl_follow (&run, pg) == 0)
            exit_code = SALESCTL_EXIT_OK;
        goto out_destroy_pg;
    }
    int64_t last = 0;
    if (s_snapshot (&self, pg, &last) != 0)
        goto out_destroy_pg;
    const char *plural = self.printed == 1 ? "" : "s";
    if (!json && !self.firing)
        printf ("%" PRId64 " %s%s\n", self.printed, listing->noun, plural);
    else if (!json)
        printf ("%" PRId64 " condition%s firing (newest %s #%" PRId64 ")\n", self.printed, plural,
                listing->noun, last);
    exit_code = SALESCTL_EXIT_OK;

out_destroy_pg:
    sp_pg_destroy (&pg);
out_free:
    free (received);
    return exit_code;
}
