/*  ingest_batch - the requests committed together in one transaction.

    Group commit: requests that arrive while the previous transaction runs
    (or within the short commit wait) are gathered here and written in one
    PostgreSQL transaction. This object holds them (it owns them), lists
    the partitions their valid events touch (ascending: the order their
    head rows are locked in, so two instances never deadlock), and, given
    what the database already holds, decides every pending event's fate:

      - its event_id is stored with the same content hash: DUPLICATE, with
        the stored partition and sequence;
      - stored with another hash: CONFLICT (the original is kept, the
        newcomer recorded), with the stored partition and sequence;
      - earlier in this same batch: the same two rules against that
        earlier event;
      - otherwise ACCEPTED with the next sequence of its partition, so new
        events get head+1, head+2, ... with no gap, in batch order.

    With several writers (ingest_server) a batch belongs to one writer
    group and holds only that group's part of each request
    (ingest_request_split): every count, list and resolution below looks
    at the events of its group only, so two writers storing the two parts
    of one request never touch the same event. A batch made by
    ingest_batch_new is group 0, which is every event of a request never
    split.

    No I/O: the store feeds it rows and heads read under lock.
*/
#ifndef INGEST_BATCH_H_INCLUDED
#define INGEST_BATCH_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ingest_request.h"

/* An event already in the log, as the lookup by event_id found it. */
typedef struct {
    const char *event_id;               /* borrowed */
    uint32_t partition;                 /* where it is stored */
    uint64_t sequence;                  /* its sequence there */
    uint8_t hash[INGEST_DIGEST_SIZE];   /* its content hash */
} ingest_batch_stored_t;

/* Events of a batch by outcome, for replies and metrics. */
typedef struct {
    size_t accepted;  /* new events written */
    size_t duplicate; /* already stored with the same content */
    size_t conflict;  /* already stored with other content */
    size_t rejected;  /* refused by validation */
} ingest_batch_counts_t;

typedef struct _ingest_batch_t ingest_batch_t;

/* Creates an empty batch (of group 0, or of group); NULL when out of
   memory. */
ingest_batch_t *ingest_batch_new (void);
ingest_batch_t *ingest_batch_new_group (uint32_t group);

/* The batch's writer group, and whether event index of request is part
   of it. */
uint32_t ingest_batch_group (const ingest_batch_t *self);
bool ingest_batch_holds (const ingest_batch_t *self, const ingest_request_t *request,
                         size_t index);

/* Destroys the batch and every request in it; no-op on NULL; sets
   *self_p to NULL. */
void ingest_batch_destroy (ingest_batch_t **self_p);

/* Takes a request with status OK into the batch. Returns 0, or -1 when
   out of memory (the request is then still the caller's). */
int ingest_batch_add (ingest_batch_t *self, ingest_request_t **request_p);

/* Requests in arrival order; index < count (asserted). */
size_t ingest_batch_request_count (const ingest_batch_t *self);
ingest_request_t *ingest_batch_request (ingest_batch_t *self, size_t index);

/* Hands request index over to the caller, leaving a hole the batch
   skips from then on (used once replies go out). */
ingest_request_t *ingest_batch_take_request (ingest_batch_t *self, size_t index);

/* Events of the batch's group in all requests (every outcome), and those
   not rejected. */
size_t ingest_batch_event_count (const ingest_batch_t *self);
size_t ingest_batch_valid_count (const ingest_batch_t *self);

/* Writes the distinct partitions of the valid events, ascending, into
   partitions (room for ingest_batch_valid_count entries) and returns how
   many. */
size_t ingest_batch_partitions (const ingest_batch_t *self, uint32_t *partitions);

/* Resolves every pending event (see the file comment). stored lists the
   events found by event_id (any order, at most one per id); heads[p] is
   partition p's head sequence for every partition the batch touches and
   is advanced past the events accepted. Returns 0, or -1 when out of
   memory (nothing resolved). */
int ingest_batch_resolve (ingest_batch_t *self, const ingest_batch_stored_t *stored,
                          size_t stored_count, uint64_t *heads);

/* Puts every event back to pending, for a retried transaction. */
void ingest_batch_unresolve (ingest_batch_t *self);

/* Refuses every request (nothing was committed). */
void ingest_batch_refuse (ingest_batch_t *self, ingest_status_t status, const char *error);

/* Counts events by outcome over the requests still held. */
ingest_batch_counts_t ingest_batch_counts (const ingest_batch_t *self);

#endif
