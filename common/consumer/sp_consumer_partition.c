/*  sp_consumer_partition - one partition's consumer state and decisions
    (see sp_consumer_partition.h). Pure: no I/O, no clock.
*/
#include "sp_consumer_partition.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

const char *
sp_consumer_partition_state_name (sp_consumer_partition_state_t state)
{
    switch (state) {
        case SP_CONSUMER_PARTITION_IDLE:
            return "idle";
        case SP_CONSUMER_PARTITION_STARTING:
            return "starting";
        case SP_CONSUMER_PARTITION_CATCHING_UP:
            return "catching_up";
        case SP_CONSUMER_PARTITION_LIVE:
            return "live";
    }
    return "unknown";
}

void
sp_consumer_partition_own (sp_consumer_partition_t *self, const char *token)
{
    assert (self && token);
    uint64_t head = self->head;
    uint64_t head_previous = self->head_previous;
    memset (self, 0, sizeof *self);
    self->head = head;
    self->head_previous = head_previous;
    self->state = SP_CONSUMER_PARTITION_STARTING;
    size_t length = strnlen (token, sizeof self->token - 1);
    memcpy (self->token, token, length);
    self->token[length] = '\0';
}

void
sp_consumer_partition_drop (sp_consumer_partition_t *self)
{
    assert (self);
    uint64_t head = self->head;
    uint64_t head_previous = self->head_previous;
    memset (self, 0, sizeof *self);
    self->head = head;
    self->head_previous = head_previous;
}

sp_consumer_live_t
sp_consumer_partition_live (const sp_consumer_partition_t *self, uint64_t sequence, size_t pending)
{
    assert (self);
    if (self->state != SP_CONSUMER_PARTITION_LIVE)
        return SP_CONSUMER_LIVE_DROP;
    uint64_t expected = self->checkpoint + (uint64_t) pending + 1;
    if (sequence == expected)
        return SP_CONSUMER_LIVE_APPLY;
    return sequence < expected ? SP_CONSUMER_LIVE_IGNORE : SP_CONSUMER_LIVE_GAP;
}

bool
sp_consumer_partition_poll (sp_consumer_partition_t *self, uint64_t head)
{
    assert (self);
    self->head_previous = self->head;
    self->head = head;
    return self->state == SP_CONSUMER_PARTITION_LIVE && self->checkpoint < self->head_previous;
}

uint64_t
sp_consumer_partition_lag (const sp_consumer_partition_t *self)
{
    assert (self);
    if (self->state != SP_CONSUMER_PARTITION_CATCHING_UP &&
        self->state != SP_CONSUMER_PARTITION_LIVE)
        return 0;
    return self->head > self->checkpoint ? self->head - self->checkpoint : 0;
}

sp_consumer_failure_t
sp_consumer_partition_failure (sp_consumer_partition_t *self, uint64_t sequence, int max_attempts)
{
    assert (self && max_attempts >= 1);
    if (self->failing_sequence != sequence) {
        self->failing_sequence = sequence;
        self->failures = 0;
    }
    self->failures++;
    if (self->failures < max_attempts)
        return SP_CONSUMER_FAILURE_RETRY;
    self->failing_sequence = 0;
    self->failures = 0;
    return SP_CONSUMER_FAILURE_QUARANTINE;
}

void
sp_consumer_partition_applied (sp_consumer_partition_t *self, uint64_t last)
{
    assert (self);
    self->checkpoint = last;
    if (self->failing_sequence != 0 && self->failing_sequence <= last) {
        self->failing_sequence = 0;
        self->failures = 0;
    }
}

sp_consumer_refusal_t
sp_consumer_partition_refused (sp_consumer_partition_t *self, uint64_t first, uint64_t last,
                               int max_attempts, const char *reason)
{
    assert (self && first >= 1 && first <= last && max_attempts >= 1 && reason);
    snprintf (self->refused_reason, sizeof self->refused_reason, "%s", reason);
    if (last > first) {
        if (last > self->single_until)
            self->single_until = last;
        return SP_CONSUMER_REFUSAL_NARROW;
    }
    if (self->refused_sequence != first) {
        self->refused_sequence = first;
        self->refusals = 0;
    }
    self->refusals++;
    if (self->refusals < max_attempts)
        return SP_CONSUMER_REFUSAL_RETRY;
    self->refused_sequence = 0;
    self->refusals = 0;
    self->quarantine_sequence = first;
    return SP_CONSUMER_REFUSAL_QUARANTINE;
}

void
sp_consumer_partition_confirmed (sp_consumer_partition_t *self, uint64_t last)
{
    assert (self);
    if (self->refused_sequence != 0 && self->refused_sequence <= last) {
        self->refused_sequence = 0;
        self->refusals = 0;
    }
}
