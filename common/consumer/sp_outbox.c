/*  sp_outbox - gap-free per-stream sequences and publishing after commit
    (see sp_outbox.h). */
#include "sp_outbox.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_error.h"
#include "sp_zmq.h"

#define S_ERROR_SIZE 512
#define S_NUMBER_SIZE 24 /* an int64 in decimal, its sign and NUL */

/* $1 stream: the next sequence; a new stream starts at 1. The upsert
   locks the head row until the transaction ends. */
static const char s_claim_sql[] =
    "INSERT INTO outbox_streams AS s (stream, head) VALUES ($1, 1) "
    "ON CONFLICT (stream) DO UPDATE SET head = s.head + 1, updated_at = now() "
    "RETURNING s.head";

/* $1 stream, $2 count: the last of the next count sequences; a new
   stream starts at 1. Locks the head row as s_claim_sql does. */
static const char s_claim_many_sql[] =
    "INSERT INTO outbox_streams AS s (stream, head) VALUES ($1, $2::bigint) "
    "ON CONFLICT (stream) DO UPDATE SET head = s.head + $2::bigint, updated_at = now() "
    "RETURNING s.head";

/* $1 stream: its head, no row when it never had a message. */
static const char s_head_sql[] = "SELECT head FROM outbox_streams WHERE stream = $1";

struct _sp_outbox_t {
    char stream[SP_OUTBOX_STREAM_SIZE]; /* the stream's name */
    zsock_t *publisher;                 /* PUB socket, made by sp_zmq */
    uint64_t published;                 /* messages sent */
    uint64_t failures;                  /* sends ZeroMQ refused */
};

int
sp_outbox_stream_check (const char *stream, char *error, size_t error_size)
{
    assert (stream);
    size_t length = strlen (stream);
    if (length == 0 || length >= SP_OUTBOX_STREAM_SIZE) {
        sp_error_set (error, error_size, "invalid stream name \"%.*s\": must be 1 to %d bytes",
                      SP_OUTBOX_STREAM_SIZE, stream, SP_OUTBOX_STREAM_SIZE - 1);
        return -1;
    }
    for (size_t index = 0; index < length; index++) {
        char c = stream[index];
        bool alphanumeric = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alphanumeric && (index == 0 || (c != '.' && c != '_' && c != '-'))) {
            sp_error_set (error, error_size,
                          "invalid stream name \"%s\": only a-z, 0-9, '.', '_' and '-' after a "
                          "letter or digit",
                          stream);
            return -1;
        }
    }
    return 0;
}

sp_outbox_order_t
sp_outbox_order (int64_t last, int64_t received)
{
    assert (last >= 0 && received >= 0);
    if (received <= last)
        return SP_OUTBOX_SEEN;
    return received == last + 1 ? SP_OUTBOX_NEXT : SP_OUTBOX_GAP;
}

int
sp_outbox_claim (sp_pg_t *pg, const char *stream, int64_t *sequence, char *error, size_t error_size)
{
    assert (pg && stream && sequence);
    assert (sp_pg_in_transaction (pg));
    if (sp_outbox_stream_check (stream, error, error_size) != 0)
        return -1;
    sp_pg_result_t *result =
        sp_pg_exec (pg, s_claim_sql, 1, (const char *[]){ stream }, NULL, NULL);
    int rc = -1;
    int64_t claimed = 0;
    if (!sp_pg_result_ok (result))
        sp_error_set (error, error_size, "could not claim the next sequence of stream \"%s\": %s",
                      stream, sp_pg_result_error (result));
    else if (sp_pg_result_rows (result) != 1 || sp_pg_result_int64 (result, 0, 0, &claimed) != 0 ||
             claimed < 1)
        sp_error_set (error, error_size, "the head of stream \"%s\" did not read back", stream);
    else {
        *sequence = claimed;
        rc = 0;
    }
    sp_pg_result_destroy (&result);
    return rc;
}

int
sp_outbox_claim_many (sp_pg_t *pg, const char *stream, int64_t count, int64_t *first, char *error,
                      size_t error_size)
{
    assert (pg && stream && count >= 1 && first);
    assert (sp_pg_in_transaction (pg));
    if (sp_outbox_stream_check (stream, error, error_size) != 0)
        return -1;
    char count_text[S_NUMBER_SIZE];
    snprintf (count_text, sizeof count_text, "%" PRId64, count);
    sp_pg_result_t *result =
        sp_pg_exec (pg, s_claim_many_sql, 2, (const char *[]){ stream, count_text }, NULL, NULL);
    int rc = -1;
    int64_t last = 0;
    if (!sp_pg_result_ok (result))
        sp_error_set (error, error_size, "could not claim the next %" PRId64
                      " sequences of stream \"%s\": %s", count, stream, sp_pg_result_error (result));
    else if (sp_pg_result_rows (result) != 1 || sp_pg_result_int64 (result, 0, 0, &last) != 0 ||
             last < count)
        sp_error_set (error, error_size, "the head of stream \"%s\" did not read back", stream);
    else {
        *first = last - count + 1;
        rc = 0;
    }
    sp_pg_result_destroy (&result);
    return rc;
}

int
sp_outbox_head (sp_pg_t *pg, const char *stream, int64_t *head, char *error, size_t error_size)
{
    assert (pg && stream && head);
    if (sp_outbox_stream_check (stream, error, error_size) != 0)
        return -1;
    sp_pg_result_t *result = sp_pg_exec (pg, s_head_sql, 1, (const char *[]){ stream }, NULL, NULL);
    int rc = -1;
    int64_t value = 0;
    if (!sp_pg_result_ok (result))
        sp_error_set (error, error_size, "could not read the head of stream \"%s\": %s", stream,
                      sp_pg_result_error (result));
    else if (sp_pg_result_rows (result) > 0 &&
             (sp_pg_result_int64 (result, 0, 0, &value) != 0 || value < 0))
        sp_error_set (error, error_size, "the head of stream \"%s\" holds \"%s\", not a sequence",
                      stream, sp_pg_result_value (result, 0, 0));
    else {
        *head = value;
        rc = 0;
    }
    sp_pg_result_destroy (&result);
    return rc;
}

int64_t
sp_outbox_read_after (sp_pg_t *pg, sp_outbox_page_fn *page, void *arg, size_t limit, int64_t *last,
                      char *error, size_t error_size)
{
    assert (pg && page && last && *last >= 0);
    assert (limit >= 1 && limit <= SP_OUTBOX_PAGE_MAX);
    int64_t total = 0;
    for (;;) {
        int64_t before = *last;
        int read = page (arg, pg, before, limit, last, error, error_size);
        if (read < 0)
            return -1;
        /* a page hands over only what follows before, in order */
        assert (*last >= before && (read == 0 || *last > before));
        total += read;
        if ((size_t) read < limit)
            return total;
    }
}

sp_outbox_t *
sp_outbox_new (const char *stream, const char *endpoints, int send_hwm, char *error,
               size_t error_size)
{
    assert (stream && endpoints && send_hwm >= 0);
    if (sp_outbox_stream_check (stream, error, error_size) != 0)
        return NULL;
    sp_outbox_t *self = (sp_outbox_t *) calloc (1, sizeof *self);
    if (!self) {
        sp_error_set (error, error_size, "out of memory");
        return NULL;
    }
    snprintf (self->stream, sizeof self->stream, "%s", stream);
    sp_zmq_options_t options;
    sp_zmq_options_init (&options, ZMQ_PUB);
    options.endpoints = endpoints;
    options.send_hwm = send_hwm ? send_hwm : SP_OUTBOX_SEND_HWM;
    char socket_error[S_ERROR_SIZE];
    self->publisher = sp_zmq_socket_new (&options, socket_error, sizeof socket_error);
    if (!self->publisher) {
        sp_error_set (error, error_size, "could not open the PUB socket of stream \"%s\": %s",
                      stream, socket_error);
        free (self);
        return NULL;
    }
    return self;
}

void
sp_outbox_destroy (sp_outbox_t **self_p)
{
    assert (self_p);
    sp_outbox_t *self = *self_p;
    if (!self)
        return;
    sp_zmq_socket_destroy (&self->publisher);
    free (self);
    *self_p = NULL;
}

const char *
sp_outbox_stream (const sp_outbox_t *self)
{
    assert (self);
    return self->stream;
}

const char *
sp_outbox_endpoint (sp_outbox_t *self)
{
    assert (self);
    return sp_zmq_endpoint (self->publisher);
}

int
sp_outbox_publish (sp_outbox_t *self, const sp_pg_t *pg, int64_t sequence, const char *topic,
                   const void *payload, size_t size, char *error, size_t error_size)
{
    assert (self && pg && topic && (payload || size == 0));
    assert (sequence >= 1);
    /* after the commit only: a rollback must never have been announced */
    assert (!sp_pg_in_transaction (pg));
    zmsg_t *message = zmsg_new ();
    if (!message || zmsg_addstr (message, topic) != 0 ||
        zmsg_addmem (message, payload, size) != 0) {
        zmsg_destroy (&message);
        sp_error_set (error, error_size,
                      "out of memory publishing sequence %" PRId64 " of stream \"%s\"", sequence,
                      self->stream);
        self->failures++;
        return -1;
    }
    char send_error[S_ERROR_SIZE];
    if (sp_zmq_send (self->publisher, &message, send_error, sizeof send_error) != 0) {
        sp_error_set (error, error_size,
                      "could not publish sequence %" PRId64 " of stream \"%s\": %s", sequence,
                      self->stream, send_error);
        self->failures++;
        return -1;
    }
    self->published++;
    return 0;
}

uint64_t
sp_outbox_published (const sp_outbox_t *self)
{
    assert (self);
    return self->published;
}

uint64_t
sp_outbox_send_failures (const sp_outbox_t *self)
{
    assert (self);
    return self->failures;
}
