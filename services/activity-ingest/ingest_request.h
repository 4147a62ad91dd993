/*  ingest_request - one publisher request: decoded, judged, answered.

    A request arrives as one ZeroMQ frame holding an IngestRequest. This
    object unpacks it with the service's limits, judges every event with
    sp_event_wire_validate on its bytes as sent (what protobuf-c's unpacking
    hides: a NUL byte inside a string) and sp_event_validate (time window
    around the service's clock), gives each
    valid event its partition (sp_partition_of over sp_event_partition_key,
    docs/architecture.md) and keeps its packed bytes and SHA-256 content
    hash for the write path. Outcomes of valid events are filled in later by
    ingest_batch; rejected ones are final from the start. Finally it packs
    the IngestReply, one outcome per event in request order.

    A request that cannot be used at all (not an IngestRequest, no events,
    too many, wrong frame shape) is kept with status BAD_REQUEST and an
    error text and never reaches the database. The routing envelope the
    reply must carry (ROUTER identity, REQ/DEALER delimiter) travels with
    the request as an opaque zmsg the actor sets and reads.

    No I/O.
*/
#ifndef INGEST_REQUEST_H_INCLUDED
#define INGEST_REQUEST_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ingest.pb-c.h"
#include "ingest_digest.h"
#include "sp_event.h"

typedef Salespulse__Outcome ingest_outcome_t;
typedef Salespulse__ReplyStatus ingest_status_t;

#define INGEST_OUTCOME_PENDING SALESPULSE__OUTCOME__OUTCOME_UNSPECIFIED
#define INGEST_OUTCOME_ACCEPTED SALESPULSE__OUTCOME__OUTCOME_ACCEPTED
#define INGEST_OUTCOME_DUPLICATE SALESPULSE__OUTCOME__OUTCOME_DUPLICATE
#define INGEST_OUTCOME_CONFLICT SALESPULSE__OUTCOME__OUTCOME_CONFLICT
#define INGEST_OUTCOME_REJECTED SALESPULSE__OUTCOME__OUTCOME_REJECTED

#define INGEST_STATUS_OK SALESPULSE__REPLY_STATUS__REPLY_STATUS_OK
#define INGEST_STATUS_BAD_REQUEST SALESPULSE__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST
#define INGEST_STATUS_OVERLOADED SALESPULSE__REPLY_STATUS__REPLY_STATUS_RETRY_OVERLOADED
#define INGEST_STATUS_UNAVAILABLE SALESPULSE__REPLY_STATUS__REPLY_STATUS_RETRY_UNAVAILABLE
#define INGEST_STATUS_SHUTTING_DOWN SALESPULSE__REPLY_STATUS__REPLY_STATUS_RETRY_SHUTTING_DOWN

/* Most writer groups a request can be split over (ingest_request_split). */
#define INGEST_REQUEST_MAX_GROUPS 64

/* Room for a request-level error text. */
#define INGEST_REQUEST_ERROR_SIZE 256

/* What a request is judged against. */
typedef struct {
    size_t max_events;           /* most events in one request (--max-batch) */
    size_t max_bytes;            /* largest request frame (--max-message-bytes) */
    uint32_t partitions;         /* partition count recorded at setup */
    int64_t max_future_ms;       /* occurred_at at most now + this */
    int64_t max_past_ms;         /* occurred_at at least now - this */
} ingest_request_limits_t;

typedef struct _ingest_request_t ingest_request_t;

/* Where the body frame of a request sits among the frames after the ROUTER
   identity: one frame (DEALER without delimiter) or an empty delimiter
   then one frame (REQ, DEALER with delimiter). Returns 0 with *body_index
   set, or -1 with error (e.g. `expected one frame holding an IngestRequest,
   got 3`). In both cases *delimiter tells whether a reply must carry an
   empty delimiter frame. sizes has count (>= 1) entries. */
int ingest_request_frame_shape (const size_t *sizes, size_t count, size_t *body_index,
                                bool *delimiter, char *error, size_t error_size);

/* Decodes and judges size bytes at data at time now_ms (UTC ms). Returns
   a request with status OK (events judged) or BAD_REQUEST (error says
   why); NULL only when out of memory. */
ingest_request_t *ingest_request_new (const uint8_t *data, size_t size,
                                      const ingest_request_limits_t *limits, int64_t now_ms);

/* A request refused before decoding, with status and error text. */
ingest_request_t *ingest_request_new_refused (ingest_status_t status, const char *error);

/* Frees the request, its events and its envelope; no-op on NULL; sets
   *self_p to NULL. */
void ingest_request_destroy (ingest_request_t **self_p);

/* Takes the routing envelope a reply must start with. */
void ingest_request_set_envelope (ingest_request_t *self, zmsg_t **envelope_p);

/* Hands the envelope over to the caller (NULL if none). */
zmsg_t *ingest_request_take_envelope (ingest_request_t *self);

/* Request id (0 when unreadable), status, and error text ("" when OK). */
uint64_t ingest_request_id (const ingest_request_t *self);
ingest_status_t ingest_request_status (const ingest_request_t *self);
const char *ingest_request_error (const ingest_request_t *self);

/* Refuses the whole request (UNAVAILABLE, OVERLOADED, SHUTTING_DOWN):
   nothing of it was committed, so every outcome is cleared. */
void ingest_request_refuse (ingest_request_t *self, ingest_status_t status, const char *error);

/* Events of an OK request; index < count (asserted). */
size_t ingest_request_event_count (const ingest_request_t *self);
const sp_event_t *ingest_request_event (const ingest_request_t *self, size_t index);

/* The packed event (payload and dead-letter raw bytes) and its SHA-256. */
const uint8_t *ingest_request_packed (const ingest_request_t *self, size_t index, size_t *size);
const uint8_t *ingest_request_hash (const ingest_request_t *self, size_t index);

/* Outcome so far: REJECTED from decoding, PENDING until the batch
   resolves, then ACCEPTED/DUPLICATE/CONFLICT. */
ingest_outcome_t ingest_request_outcome (const ingest_request_t *self, size_t index);

/* Partition a valid event belongs to; once resolved, the partition and
   sequence it is stored at (for a conflict: its original's). */
uint32_t ingest_request_partition (const ingest_request_t *self, size_t index);
uint32_t ingest_request_stored_partition (const ingest_request_t *self, size_t index);
uint64_t ingest_request_sequence (const ingest_request_t *self, size_t index);

/* Why an event was rejected (REJECTED only, asserted). */
const sp_event_error_t *ingest_request_rejection (const ingest_request_t *self, size_t index);

/* Rejects as SOURCE_NOT_ALLOWED every pending event whose source is not
   one of sources (comma-separated, "" allows none): the limit the
   publisher's CURVE certificate carries (docs/security.md). key_name
   names the key in the message (NULL or "": not named). Events already
   rejected keep their first reason. */
void ingest_request_limit_sources (ingest_request_t *self, const char *sources,
                                   const char *key_name);

/* Sets a valid event's outcome with the partition and sequence it is (or
   its original is) stored at. */
void ingest_request_resolve (ingest_request_t *self, size_t index, ingest_outcome_t outcome,
                             uint32_t partition, uint64_t sequence);

/* Puts every valid event back to PENDING (the transaction is retried). */
void ingest_request_unresolve (ingest_request_t *self);

/* Splits the request over groups writer groups (1..INGEST_REQUEST_MAX_GROUPS):
   a valid event belongs to group partition % groups, a rejected one (its
   dead letter) to the group of the request's first valid event (0 when
   none). Returns the mask of groups holding events (bit g for group g).
   Call once judged (after ingest_request_limit_sources), before the
   request joins a batch; a request never split is all group 0. The
   groups never change afterwards, so writer threads storing different
   groups of one request touch different events only. */
uint64_t ingest_request_split (ingest_request_t *self, uint32_t groups);

/* The writer group of event index. */
uint32_t ingest_request_group (const ingest_request_t *self, size_t index);

/* ingest_request_unresolve for the events of one group only. */
void ingest_request_unresolve_group (ingest_request_t *self, uint32_t group);

/* The server's count of a split request's parts (service thread only):
   set_parts before the parts go to their writers; part_done records one
   part back (committed or not) and returns how many are still out;
   part_failed / part_committed tell whether any part failed / committed. */
void ingest_request_set_parts (ingest_request_t *self, size_t parts);
size_t ingest_request_part_done (ingest_request_t *self, bool committed);
bool ingest_request_part_failed (const ingest_request_t *self);
bool ingest_request_part_committed (const ingest_request_t *self);

/* Packs the IngestReply: status, error, and for OK one outcome per event
   (every one must be resolved, asserted). Returns a malloc'd buffer and
   its size, NULL when out of memory. */
uint8_t *ingest_request_reply (const ingest_request_t *self, size_t *size);

#endif
