/*  sp_consumer_counters - the hash-field increments of one atomic step,
    summed as the handler adds them (sp_consumer_batch_increment).

    A handler that counts (funnel-tracker: tens of increments per event on
    the same month, scope and pipeline hashes) would otherwise write one
    HINCRBY per increment and have the coalescer parse and merge them
    again; here each (key, field) is one entry whose sum grows, and the
    step sends one HINCRBY per entry whose sum is not 0 (a missing field
    reads as 0 to every reader, as with the coalescer's zero nets).

    An event that fails is undone: every change of the step is logged, and
    a rewind takes back those made since a mark. A sum that would leave int64 is
    refused (the event fails with the field named: no figure wraps).

    No I/O. Keys and fields are copied. Not thread-safe.
*/
#ifndef SP_CONSUMER_COUNTERS_H_INCLUDED
#define SP_CONSUMER_COUNTERS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _sp_consumer_counters_t sp_consumer_counters_t;

/* Empty counters; NULL on out of memory. */
sp_consumer_counters_t *sp_consumer_counters_new (void);
void sp_consumer_counters_destroy (sp_consumer_counters_t **self_p);

/* Forgets every entry (keeps the memory for the next step). */
void sp_consumer_counters_reset (sp_consumer_counters_t *self);

/* Adds delta to (key, field). Returns 0; -1 when memory runs out or the
   sum would leave int64 (then nothing changed). */
int sp_consumer_counters_add (sp_consumer_counters_t *self, const char *key, size_t key_length,
                              const char *field, size_t field_length, int64_t delta);

/* Where the changes stand now, for a rewind (marks may nest: a rewind
   to a mark takes back everything after it, later marks included). */
size_t sp_consumer_counters_mark (const sp_consumer_counters_t *self);

/* Takes back every change made since mark. */
void sp_consumer_counters_rewind (sp_consumer_counters_t *self, size_t mark);

/* Entries (distinct key and field pairs, zero sums included), and the
   bytes of their keys and fields. */
size_t sp_consumer_counters_size (const sp_consumer_counters_t *self);
size_t sp_consumer_counters_bytes (const sp_consumer_counters_t *self);

/* Entry index (< size) in the order first added: its key, field and
   sum; pointers borrowed until the next change. */
void sp_consumer_counters_entry (const sp_consumer_counters_t *self, size_t index, const char **key,
                                 size_t *key_length, const char **field, size_t *field_length,
                                 int64_t *sum);

#endif
