/*  sp_backoff - how long to wait before the next attempt.

    Every seam that retries (PostgreSQL connects, Redis reconnects, the
    ingest client's resends) waits the same way: exponential backoff with
    "equal jitter". Attempt k (0-based) waits a random time between half and
    all of min(initial * 2^k, max) ms, so many clients that failed together
    do not retry together. No I/O: the caller sleeps or schedules.

        sp_backoff_t backoff;
        sp_backoff_init (&backoff, 100, 5000);
        for (int attempt = 0; ...; attempt++)
            sleep_ms (sp_backoff_delay_ms (&backoff, attempt));
*/
#ifndef SP_BACKOFF_H_INCLUDED
#define SP_BACKOFF_H_INCLUDED

#include <stdint.h>

/* Backoff settings and the jitter's random state. */
typedef struct {
    int64_t initial_ms;    /* first delay, ms, >= 0 */
    int64_t max_ms;        /* cap on the doubling delay, ms, >= initial_ms */
    uint64_t random_state; /* xorshift64 state, never 0 */
} sp_backoff_t;

/* Sets the delays (asserted 0 <= initial_ms <= max_ms) and seeds the jitter
   from the clock, the process id and the object's address. */
void sp_backoff_init (sp_backoff_t *self, int64_t initial_ms, int64_t max_ms);

/* The delay before attempt number `attempt` + 1, in
   [cap / 2, cap] with cap = min(initial_ms * 2^attempt, max_ms). */
int64_t sp_backoff_delay_ms (sp_backoff_t *self, int attempt);

#endif
