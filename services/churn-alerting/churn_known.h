/*  churn_known - the scoring state the scorer last wrote, by customer.

    What churn_alert_store_write_batch stored for a customer (its row's
    revision after the write, its score history and its four lifecycle
    states), kept in memory in the stored binary form, so the next
    scoring of the customer need not read it back from PostgreSQL
    (churn_alert_store_read_batch: at a day close, the read of each batch
    of 100 customers was 3 to 33 ms on the benchmark's loaded machine,
    the largest part of an alert's latency after the apply).

    A kept state is used only at the revision it was kept at: the scorer
    asks with the revision its scan of the partition just read
    (churn_alert_store_scored), so a row another writer moved since (an
    acknowledgement, another instance) is read again from PostgreSQL, as
    is every customer not kept. And the write stays a compare and set on
    the revision, as for a state read. What is returned is what a read of
    the same row gives: the same bytes, unpacked by the same functions.

    At most max customers are kept (a new one beyond is not kept: read
    from PostgreSQL as before), about 800 bytes each in the benchmark
    (a full history of 16 periods, four lifecycles, the hash entry).

    Pure: no I/O. Not thread-safe (the scorer's thread only).
*/
#ifndef CHURN_KNOWN_H_INCLUDED
#define CHURN_KNOWN_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "churn_alert_store.h"
#include "churn_history.h"
#include "churn_lifecycle.h"

typedef struct _churn_known_t churn_known_t;

/* Keeps at most max (>= 1) customers; NULL when out of memory. */
churn_known_t *churn_known_new (size_t max);

/* Frees every state kept; no-op on NULL; sets *self_p to NULL. */
void churn_known_destroy (churn_known_t **self_p);

/* Keeps customer's state as stored at revision (>= 1): history (count
   >= 1) and states[CHURN_RULES_COUNT], replacing the one kept. Returns
   0, or -1 when it is not kept (full, out of memory): then no older
   state of the customer is kept either. */
int churn_known_put (churn_known_t *self, const char *customer, int64_t revision,
                     const churn_history_t *history, const churn_lifecycle_t *states);

/* Forgets customer's state (none kept: nothing happens). */
void churn_known_forget (churn_known_t *self, const char *customer);

/* True with *out set (stored, the revision, the history, the states)
   when customer's state is kept at revision; false with *out untouched
   otherwise (not kept, kept at another revision). */
bool churn_known_get (const churn_known_t *self, const char *customer, int64_t revision,
                      churn_alert_store_customer_t *out);

/* The customers kept. */
size_t churn_known_size (const churn_known_t *self);

#endif
