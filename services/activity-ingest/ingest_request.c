/*  ingest_request - one publisher request (see ingest_request.h). */
#include "ingest_request.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_error.h"
#include "sp_event_wire.h"
#include "sp_partition.h"
#include "sp_proto.h"
#include "sp_proto_wire.h"
#include "sp_zmq_curve.h"

/* Number of IngestRequest's "events" field (proto/ingest.proto). */
#define S_EVENTS_FIELD 2

/* What the service knows about one event of the request. */
typedef struct {
    ingest_outcome_t outcome;         /* REJECTED, PENDING, then the resolved outcome */
    uint32_t home_partition;          /* partition the event itself belongs to */
    uint32_t group;                   /* writer group that stores it (ingest_request_split) */
    uint32_t partition;               /* partition of the event, or of its stored original */
    uint64_t sequence;                /* sequence of the event or of its stored original */
    size_t packed_offset;             /* start of the packed event in packed */
    size_t packed_size;               /* bytes of the packed event */
    const uint8_t *wire;              /* the event as sent, inside the request's bytes
                                         (valid while ingest_request_new runs) */
    size_t wire_size;                 /* its bytes */
    uint8_t hash[INGEST_DIGEST_SIZE]; /* SHA-256 of the packed event */
    sp_event_error_t rejection;       /* why it was rejected (REJECTED only) */
} s_event_state_t;

struct _ingest_request_t {
    Salespulse__IngestRequest *message;    /* unpacked request; NULL when unreadable */
    uint64_t request_id;                   /* echoed in the reply */
    ingest_status_t status;                /* whole-request status */
    char error[INGEST_REQUEST_ERROR_SIZE]; /* why the status is not OK */
    s_event_state_t *events;               /* one per event of message */
    size_t event_count;                    /* entries in events */
    uint8_t *packed;                       /* every event packed, back to back */
    zmsg_t *envelope;                      /* routing frames the reply starts with */
    size_t parts;                          /* parts not yet back from their writers */
    bool part_failed;                      /* a part's transaction failed */
    bool part_committed;                   /* a part's transaction committed */
};

int
ingest_request_frame_shape (const size_t *sizes, size_t count, size_t *body_index, bool *delimiter,
                            char *error, size_t error_size)
{
    assert (sizes && count >= 1 && body_index && delimiter);
    *delimiter = count >= 2 && sizes[0] == 0;
    size_t body_frames = *delimiter ? count - 1 : count;
    if (body_frames != 1) {
        sp_error_set (error, error_size, "expected one frame holding an IngestRequest, got %zu",
                      body_frames);
        return -1;
    }
    *body_index = *delimiter ? 1 : 0;
    return 0;
}

static ingest_request_t *
s_new (void)
{
    ingest_request_t *self = (ingest_request_t *) calloc (1, sizeof *self);
    if (self)
        self->status = INGEST_STATUS_OK;
    return self;
}

ingest_request_t *
ingest_request_new_refused (ingest_status_t status, const char *error)
{
    assert (status != INGEST_STATUS_OK && error);
    ingest_request_t *self = s_new ();
    if (self)
        ingest_request_refuse (self, status, error);
    return self;
}

/* Packs every event into one buffer and hashes each. */
static int
s_pack_events (ingest_request_t *self)
{
    size_t total = 0;
    for (size_t index = 0; index < self->event_count; index++) {
        s_event_state_t *state = &self->events[index];
        state->packed_offset = total;
        state->packed_size =
            protobuf_c_message_get_packed_size (&self->message->events[index]->base);
        total += state->packed_size;
    }
    self->packed = (uint8_t *) malloc (total ? total : 1);
    if (!self->packed)
        return -1;
    for (size_t index = 0; index < self->event_count; index++) {
        s_event_state_t *state = &self->events[index];
        uint8_t *at = self->packed + state->packed_offset;
        size_t written = protobuf_c_message_pack (&self->message->events[index]->base, at);
        assert (written == state->packed_size);
        ingest_digest_sha256 (at, written, state->hash);
    }
    return 0;
}

/* Points each event at its own bytes inside the request as sent: the
   i-th "events" field is events[i]. -1 when the count differs (cannot
   happen once protobuf-c has read the same bytes). */
static int
s_find_wire_events (ingest_request_t *self, const uint8_t *data, size_t size)
{
    size_t offset = 0;
    size_t found = 0;
    sp_proto_wire_field_t field;
    int read;
    while ((read = sp_proto_wire_next (data, size, &offset, &field)) == 1) {
        if (field.number != S_EVENTS_FIELD ||
            field.wire_type != PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED)
            continue;
        if (found == self->event_count)
            return -1;
        self->events[found].wire = field.data;
        self->events[found].wire_size = field.length;
        found++;
    }
    return read == 0 && found == self->event_count ? 0 : -1;
}

/* Judges every event: rejected with its reason (first the rules only its
   bytes as sent can break, sp_event_wire_validate), or pending in its
   partition. */
static void
s_judge_events (ingest_request_t *self, const ingest_request_limits_t *limits, int64_t now_ms)
{
    sp_event_time_bounds_t bounds;
    bounds.not_before = now_ms - limits->max_past_ms;
    if (bounds.not_before < 1)
        bounds.not_before = 1;
    bounds.not_after = now_ms + limits->max_future_ms;
    if (bounds.not_after > SP_EVENT_TIME_MAX)
        bounds.not_after = SP_EVENT_TIME_MAX;
    for (size_t index = 0; index < self->event_count; index++) {
        s_event_state_t *state = &self->events[index];
        const sp_event_t *event = self->message->events[index];
        if (sp_event_wire_validate (state->wire, state->wire_size, &state->rejection) != 0 ||
            sp_event_validate (event, &bounds, &state->rejection) != 0) {
            state->outcome = INGEST_OUTCOME_REJECTED;
            continue;
        }
        const char *key = sp_event_partition_key (event);
        state->outcome = INGEST_OUTCOME_PENDING;
        state->home_partition = sp_partition_of (key, strlen (key), limits->partitions);
        state->partition = state->home_partition;
    }
}

ingest_request_t *
ingest_request_new (const uint8_t *data, size_t size, const ingest_request_limits_t *limits,
                    int64_t now_ms)
{
    assert (data || size == 0);
    assert (limits && limits->partitions >= 1 && limits->max_events >= 1);
    ingest_request_t *self = s_new ();
    if (!self)
        return NULL;
    char error[INGEST_REQUEST_ERROR_SIZE];
    self->message = (Salespulse__IngestRequest *) sp_proto_unpack (
        &salespulse__ingest_request__descriptor, data, size, limits->max_bytes, NULL, NULL, error,
        sizeof error);
    if (!self->message) {
        ingest_request_refuse (self, INGEST_STATUS_BAD_REQUEST, error);
        return self;
    }
    self->request_id = self->message->request_id;
    if (self->message->base.n_unknown_fields > 0) {
        /* A field this service does not know: refused like one inside a
           SalesEvent, never passed over. */
        sp_error_set (error, sizeof error, "unknown field number %" PRIu32 " in %s",
                      self->message->base.unknown_fields[0].tag,
                      salespulse__ingest_request__descriptor.name);
        ingest_request_refuse (self, INGEST_STATUS_BAD_REQUEST, error);
        return self;
    }
    if (self->message->n_events == 0) {
        ingest_request_refuse (self, INGEST_STATUS_BAD_REQUEST, "request holds no events");
        return self;
    }
    if (self->message->n_events > limits->max_events) {
        sp_error_set (error, sizeof error, "request holds %zu events, the limit is %zu",
                      self->message->n_events, limits->max_events);
        ingest_request_refuse (self, INGEST_STATUS_BAD_REQUEST, error);
        return self;
    }
    self->event_count = self->message->n_events;
    self->events = (s_event_state_t *) calloc (self->event_count, sizeof (s_event_state_t));
    if (!self->events || s_pack_events (self) != 0) {
        ingest_request_destroy (&self);
        return NULL;
    }
    if (s_find_wire_events (self, data, size) != 0) {
        sp_error_set (error, sizeof error, "malformed %s message",
                      salespulse__ingest_request__descriptor.name);
        ingest_request_refuse (self, INGEST_STATUS_BAD_REQUEST, error);
        return self;
    }
    s_judge_events (self, limits, now_ms);
    for (size_t index = 0; index < self->event_count; index++)
        self->events[index].wire = NULL; /* the request's bytes are the caller's */
    return self;
}

void
ingest_request_limit_sources (ingest_request_t *self, const char *sources, const char *key_name)
{
    assert (self && sources);
    char allowed[SP_EVENT_QUOTE_SIZE];
    char key[SP_EVENT_QUOTE_SIZE + 4] = ""; /* " \"name\"" */
    sp_event_quote (sources, strlen (sources), allowed, sizeof allowed);
    if (key_name && key_name[0]) {
        char quoted[SP_EVENT_QUOTE_SIZE];
        sp_event_quote (key_name, strlen (key_name), quoted, sizeof quoted);
        snprintf (key, sizeof key, " \"%s\"", quoted);
    }
    for (size_t index = 0; index < self->event_count; index++) {
        s_event_state_t *state = &self->events[index];
        const sp_event_t *event = self->message->events[index];
        if (state->outcome != INGEST_OUTCOME_PENDING ||
            sp_zmq_curve_sources_allow (sources, event->source))
            continue;
        char source[SP_EVENT_QUOTE_SIZE];
        sp_event_quote (event->source, strlen (event->source), source, sizeof source);
        sp_event_error_set (&state->rejection, "source",
                            SALESPULSE__REJECT_REASON__REJECT_REASON_SOURCE_NOT_ALLOWED,
                            "\"%s\" is not a source the publisher's key%s may publish "
                            "(its sources: \"%s\")",
                            source, key, allowed);
        state->outcome = INGEST_OUTCOME_REJECTED;
    }
}

void
ingest_request_destroy (ingest_request_t **self_p)
{
    assert (self_p);
    ingest_request_t *self = *self_p;
    if (!self)
        return;
    sp_proto_free ((ProtobufCMessage **) &self->message);
    zmsg_destroy (&self->envelope);
    free (self->events);
    free (self->packed);
    free (self);
    *self_p = NULL;
}

void
ingest_request_set_envelope (ingest_request_t *self, zmsg_t **envelope_p)
{
    assert (self && envelope_p);
    zmsg_destroy (&self->envelope);
    self->envelope = *envelope_p;
    *envelope_p = NULL;
}

zmsg_t *
ingest_request_take_envelope (ingest_request_t *self)
{
    assert (self);
    zmsg_t *envelope = self->envelope;
    self->envelope = NULL;
    return envelope;
}

uint64_t
ingest_request_id (const ingest_request_t *self)
{
    assert (self);
    return self->request_id;
}

ingest_status_t
ingest_request_status (const ingest_request_t *self)
{
    assert (self);
    return self->status;
}

const char *
ingest_request_error (const ingest_request_t *self)
{
    assert (self);
    return self->error;
}

void
ingest_request_refuse (ingest_request_t *self, ingest_status_t status, const char *error)
{
    assert (self && error);
    assert (status != INGEST_STATUS_OK);
    self->status = status;
    sp_error_set (self->error, sizeof self->error, "%s", error);
}

size_t
ingest_request_event_count (const ingest_request_t *self)
{
    assert (self);
    return self->status == INGEST_STATUS_BAD_REQUEST ? 0 : self->event_count;
}

const sp_event_t *
ingest_request_event (const ingest_request_t *self, size_t index)
{
    assert (self && index < self->event_count);
    return self->message->events[index];
}

const uint8_t *
ingest_request_packed (const ingest_request_t *self, size_t index, size_t *size)
{
    assert (self && index < self->event_count && size);
    *size = self->events[index].packed_size;
    return self->packed + self->events[index].packed_offset;
}

const uint8_t *
ingest_request_hash (const ingest_request_t *self, size_t index)
{
    assert (self && index < self->event_count);
    return self->events[index].hash;
}

ingest_outcome_t
ingest_request_outcome (const ingest_request_t *self, size_t index)
{
    assert (self && index < self->event_count);
    return self->events[index].outcome;
}

uint32_t
ingest_request_partition (const ingest_request_t *self, size_t index)
{
    assert (self && index < self->event_count);
    return self->events[index].home_partition;
}

uint32_t
ingest_request_stored_partition (const ingest_request_t *self, size_t index)
{
    assert (self && index < self->event_count);
    return self->events[index].partition;
}

uint64_t
ingest_request_sequence (const ingest_request_t *self, size_t index)
{
    assert (self && index < self->event_count);
    return self->events[index].sequence;
}

const sp_event_error_t *
ingest_request_rejection (const ingest_request_t *self, size_t index)
{
    assert (self && index < self->event_count);
    assert (self->events[index].outcome == INGEST_OUTCOME_REJECTED);
    return &self->events[index].rejection;
}

void
ingest_request_resolve (ingest_request_t *self, size_t index, ingest_outcome_t outcome,
                        uint32_t partition, uint64_t sequence)
{
    assert (self && index < self->event_count);
    assert (self->events[index].outcome == INGEST_OUTCOME_PENDING);
    assert (outcome == INGEST_OUTCOME_ACCEPTED || outcome == INGEST_OUTCOME_DUPLICATE ||
            outcome == INGEST_OUTCOME_CONFLICT);
    assert (sequence >= 1);
    self->events[index].outcome = outcome;
    self->events[index].partition = partition;
    self->events[index].sequence = sequence;
}

/* Back to pending: every valid event, or those of group only. */
static void
s_unresolve (ingest_request_t *self, bool every_group, uint32_t group)
{
    assert (self);
    for (size_t index = 0; index < self->event_count; index++) {
        s_event_state_t *state = &self->events[index];
        if (state->outcome == INGEST_OUTCOME_REJECTED || (!every_group && state->group != group))
            continue;
        state->outcome = INGEST_OUTCOME_PENDING;
        state->partition = state->home_partition;
        state->sequence = 0;
    }
}

void
ingest_request_unresolve (ingest_request_t *self)
{
    s_unresolve (self, true, 0);
}

uint64_t
ingest_request_split (ingest_request_t *self, uint32_t groups)
{
    assert (self && groups >= 1 && groups <= INGEST_REQUEST_MAX_GROUPS);
    uint64_t mask = 0;
    bool home_known = false;
    uint32_t home = 0;
    for (size_t index = 0; index < ingest_request_event_count (self); index++) {
        s_event_state_t *state = &self->events[index];
        if (state->outcome == INGEST_OUTCOME_REJECTED)
            continue;
        state->group = state->home_partition % groups;
        mask |= UINT64_C (1) << state->group;
        if (!home_known) {
            home = state->group;
            home_known = true;
        }
    }
    /* Dead letters go with the request's first valid event. */
    for (size_t index = 0; index < ingest_request_event_count (self); index++)
        if (self->events[index].outcome == INGEST_OUTCOME_REJECTED) {
            self->events[index].group = home;
            mask |= UINT64_C (1) << home;
        }
    return mask;
}

uint32_t
ingest_request_group (const ingest_request_t *self, size_t index)
{
    assert (self && index < self->event_count);
    return self->events[index].group;
}

void
ingest_request_unresolve_group (ingest_request_t *self, uint32_t group)
{
    s_unresolve (self, false, group);
}

void
ingest_request_set_parts (ingest_request_t *self, size_t parts)
{
    assert (self && parts >= 1);
    self->parts = parts;
    self->part_failed = false;
    self->part_committed = false;
}

size_t
ingest_request_part_done (ingest_request_t *self, bool committed)
{
    assert (self && self->parts >= 1);
    if (committed)
        self->part_committed = true;
    else
        self->part_failed = true;
    return --self->parts;
}

bool
ingest_request_part_failed (const ingest_request_t *self)
{
    assert (self);
    return self->part_failed;
}

bool
ingest_request_part_committed (const ingest_request_t *self)
{
    assert (self);
    return self->part_committed;
}

uint8_t *
ingest_request_reply (const ingest_request_t *self, size_t *size)
{
    assert (self && size);
    Salespulse__IngestReply reply = SALESPULSE__INGEST_REPLY__INIT;
    reply.request_id = self->request_id;
    reply.status = self->status;
    reply.error = (char *) self->error;
    Salespulse__EventOutcome *outcomes = NULL;
    Salespulse__EventOutcome **pointers = NULL;
    uint8_t *packed = NULL;
    if (self->status == INGEST_STATUS_OK && self->event_count > 0) {
        outcomes = (Salespulse__EventOutcome *) calloc (self->event_count, sizeof *outcomes);
        pointers = (Salespulse__EventOutcome **) calloc (self->event_count, sizeof *pointers);
        if (!outcomes || !pointers)
            goto out_free;
        for (size_t index = 0; index < self->event_count; index++) {
            const s_event_state_t *state = &self->events[index];
            Salespulse__EventOutcome *outcome = &outcomes[index];
            salespulse__event_outcome__init (outcome);
            assert (state->outcome != INGEST_OUTCOME_PENDING);
            outcome->index = (uint32_t) index;
            outcome->outcome = state->outcome;
            if (state->outcome == INGEST_OUTCOME_REJECTED) {
                outcome->field = (char *) state->rejection.field;
                outcome->reason = state->rejection.reason;
                outcome->message = (char *) state->rejection.message;
            }
            else {
                outcome->partition = state->partition;
                outcome->sequence = state->sequence;
            }
            pointers[index] = outcome;
        }
        reply.n_outcomes = self->event_count;
        reply.outcomes = pointers;
    }
    *size = protobuf_c_message_get_packed_size (&reply.base);
    packed = (uint8_t *) malloc (*size ? *size : 1);
    if (packed)
        protobuf_c_message_pack (&reply.base, packed);

out_free:
    free (pointers);
    free (outcomes);
    return packed;
}
