/*  sp_consumer_view - the Redis values a handler reads, by key, for one
    run of one partition: what lets a read-then-write handler (a state
    machine kept per entity) work without doing any I/O itself.

    A run is the events of one partition that sp_consumer hands to the
    handler together (at most the batch size). The view lives for exactly
    one run:

      1. declare   the handler's begin hook names every key of the
                   partition it will read (sp_consumer_view_want);
      2. fetch     the framework reads them in one pipelined round trip
                   (MGET in chunks, in sp_consumer.c: this class has no
                   I/O) and fills the values in (sp_consumer_view_fill),
                   then closes the declarations (sp_consumer_view_ready);
      3. apply     for each event the handler reads values
                   (sp_consumer_view_get) and writes new ones
                   (sp_consumer_view_put: the view changes and the SET
                   goes into the step, so the next event of the run sees
                   the write before Redis does); other commands go to the
                   batch directly;
      4. drop      the view is reset after the run: a run that was not
                   applied (lease lost, checkpoint moved) leaves nothing.

    Failed events. sp_consumer marks the view with the batch before each
    event and, when the handler fails, rewinds both: the event's writes
    leave the view and the step together. After an event that succeeded
    it accepts the writes (forgets how to undo them). Handlers do nothing
    special.

    Decoded values. A handler that parses values (an entity's record) may
    keep its parsed object with the key (sp_consumer_view_set_decoded)
    instead of parsing again for the next event. The object is a cache of
    the value: the view destroys it when the value is put, rewound or
    reset, and when the view is destroyed. A handler that changes its
    parse in place and writes the new value puts both together
    (sp_consumer_view_put_decoded): the record is then parsed once per run,
    however many of the run's events change it.

    Errors. A key that was not declared in begin is an error, never a
    hidden read: sp_consumer_view_get returns no value and records the
    reason (sp_consumer_view_error); the framework then fails the event
    with that reason even when apply returned 0 (retried, then
    quarantined), because a value read that way would differ between live
    runs and a rebuild. Keys that are too long or not of the run's
    partition are refused the same way. Out of memory while declaring
    makes the fetch fail: the run is retried like any infrastructure
    failure.

    Not thread-safe; one view per consumer.
*/
#ifndef SP_CONSUMER_VIEW_H_INCLUDED
#define SP_CONSUMER_VIEW_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp_consumer_batch.h"
#include "sp_partition.h"

/* Keys are shorter than this (their NUL included): what
   sp_consumer_batch_key writes into an SP_PARTITION_KEY_MAX buffer. */
#define SP_CONSUMER_VIEW_KEY_MAX SP_PARTITION_KEY_MAX

/* Room for the reason of an error. */
#define SP_CONSUMER_VIEW_ERROR_SIZE 512

typedef struct _sp_consumer_view_t sp_consumer_view_t;

/* Destroys a decoded object kept with a key. */
typedef void (sp_consumer_view_free_fn) (void *decoded);

/* A view of service's keys (copied). NULL on out of memory. */
sp_consumer_view_t *sp_consumer_view_new (const char *service);

/* Frees the view, its values and decoded objects, and sets the pointer
   to NULL; no-op on NULL. */
void sp_consumer_view_destroy (sp_consumer_view_t **self_p);

/* Forgets everything (values, decoded objects, declarations, undo
   records, the error) and starts a run of partition: keys must then
   start with "<service>:{p<partition>}:". */
void sp_consumer_view_reset (sp_consumer_view_t *self, uint32_t partition);

/* The run's partition. */
uint32_t sp_consumer_view_partition (const sp_consumer_view_t *self);

/* ---------------------------------------------------------------- begin */

/* Declares that the run's events read key (a C string; declaring it
   again is harmless). Only before sp_consumer_view_ready (asserted).
   Returns 0, or -1 when key is too long or not of the run's partition
   (nothing is declared: reading it later fails that event, so begin may
   ignore this) or memory runs out (the fetch then fails and the run is
   retried). */
int sp_consumer_view_want (sp_consumer_view_t *self, const char *key);

/* ---------------------------------------------------------------- fetch */

/* Keys declared so far, in the order first declared, without repeats. */
size_t sp_consumer_view_wanted (const sp_consumer_view_t *self);

/* Declared key index (< sp_consumer_view_wanted, asserted); borrowed
   until the next reset. */
const char *sp_consumer_view_wanted_key (const sp_consumer_view_t *self, size_t index);

/* Sets the stored value of declared key index: length bytes of value
   (binary-safe, copied) when found, none when the key does not exist in
   Redis (value ignored). Returns 0, or -1 when memory runs out (the key
   stays unfilled). */
int sp_consumer_view_fill (sp_consumer_view_t *self, size_t index, const char *value, size_t length,
                           bool found);

/* Ends the declarations: every declared key has been filled (asserted).
   Reads and writes are allowed from now on (asserted). */
void sp_consumer_view_ready (sp_consumer_view_t *self);

/* ---------------------------------------------------------------- apply */

/* The value of declared key as the run sees it: Redis's, or the last one
   put in this run. Returns the value (NUL-terminated after *length bytes,
   borrowed until the key is put, rewound or the view reset) with *found
   true; NULL with *found false and *length 0 when the key holds nothing;
   NULL with *found false and the reason recorded (sp_consumer_view_error)
   when key was not declared, is too long or is not of the partition. */
const char *sp_consumer_view_get (sp_consumer_view_t *self, const char *key, size_t *length,
                                  bool *found);

/* Writes length bytes of value (binary-safe, copied) to key: the view
   holds it from now on and a SET of it is appended to batch (whose
   partition must be the view's, asserted). key need not have been
   declared (a write without a read), but reading it still needs a
   declaration. The key's decoded object is destroyed. Returns 0, or -1
   with the reason recorded when key is refused, the batch is full or
   memory runs out: then neither the view nor the batch changed. */
int sp_consumer_view_put (sp_consumer_view_t *self, sp_consumer_batch_t *batch, const char *key,
                          const char *value, size_t length);

/* sp_consumer_view_put, keeping decoded (taken, even on failure: then
   destroyed at once, and the key keeps no decoded object) as the decoded
   object of the value put; destroy frees it (NULL when it needs no
   freeing). decoded may be the key's decoded object itself, changed in
   place to match value (a handler that parses a record once per run and
   applies each event to the parse): it is then kept, not destroyed.
   Unlike sp_consumer_view_set_decoded, key need not have been declared.
   A rewind past the put destroys decoded with the value. Returns 0, or
   -1 with the reason recorded (see sp_consumer_view_put). */
int sp_consumer_view_put_decoded (sp_consumer_view_t *self, sp_consumer_batch_t *batch,
                                  const char *key, const char *value, size_t length, void *decoded,
                                  sp_consumer_view_free_fn *destroy);

/* The decoded object kept with declared key, or NULL (none kept, or key
   not declared). */
void *sp_consumer_view_decoded (const sp_consumer_view_t *self, const char *key);

/* Keeps decoded (taken, even on failure: then destroyed at once) with
   key's current value, destroying the one kept before; destroy frees it
   (NULL when it needs no freeing). Returns 0, or -1 with the reason
   recorded when key was not declared (only what may be read may be
   decoded). */
int sp_consumer_view_set_decoded (sp_consumer_view_t *self, const char *key, void *decoded,
                                  sp_consumer_view_free_fn *destroy);

/* ---------------------------------------------------------------- events */

/* Where the current event's writes start (for sp_consumer_view_rewind),
   taken with sp_consumer_batch_mark. */
size_t sp_consumer_view_mark (const sp_consumer_view_t *self);

/* Undoes every put made after mark, newest first: each key holds its
   earlier value again (and no decoded object). Clears the error. */
void sp_consumer_view_rewind (sp_consumer_view_t *self, size_t mark);

/* Keeps the writes made so far for good: frees what undoing them would
   need (marks taken before are void). Clears the error. */
void sp_consumer_view_accept (sp_consumer_view_t *self);

/* The reason of the last refused get, put or set_decoded, or of a
   declaration that ran out of memory, since the last reset, rewind or
   accept; NULL when there is none. */
const char *sp_consumer_view_error (const sp_consumer_view_t *self);

#endif
