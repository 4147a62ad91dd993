/*  sp_backoff - exponential backoff with equal jitter (see sp_backoff.h). */
#include "sp_backoff.h"

#include <assert.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#define SP_BACKOFF_XORSHIFT_A 13 /* xorshift64 shifts (Marsaglia) */
#define SP_BACKOFF_XORSHIFT_B 7
#define SP_BACKOFF_XORSHIFT_C 17
#define SP_BACKOFF_SEED_SHIFT 32 /* puts nanoseconds in the high half of the seed */

void
sp_backoff_init (sp_backoff_t *self, int64_t initial_ms, int64_t max_ms)
{
    assert (self && initial_ms >= 0 && max_ms >= initial_ms);
    self->initial_ms = initial_ms;
    self->max_ms = max_ms;
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    self->random_state = ((uint64_t) now.tv_nsec << SP_BACKOFF_SEED_SHIFT) ^
                         (uint64_t) now.tv_sec ^ ((uint64_t) getpid () << 16) ^
                         (uint64_t) (uintptr_t) self;
    if (self->random_state == 0)
        self->random_state = 1;
}

static uint64_t
s_random (sp_backoff_t *self)
{
    uint64_t x = self->random_state;
    x ^= x << SP_BACKOFF_XORSHIFT_A;
    x ^= x >> SP_BACKOFF_XORSHIFT_B;
    x ^= x << SP_BACKOFF_XORSHIFT_C;
    self->random_state = x;
    return x;
}

int64_t
sp_backoff_delay_ms (sp_backoff_t *self, int attempt)
{
    assert (self && attempt >= 0);
    int64_t cap = self->initial_ms;
    for (int i = 0; i < attempt && cap < self->max_ms; i++)
        cap *= 2;
    if (cap > self->max_ms)
        cap = self->max_ms;
    int64_t half = cap / 2;
    return half + (int64_t) (s_random (self) % (uint64_t) (cap - half + 1));
}
