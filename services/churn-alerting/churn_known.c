/*  churn_known - the scoring state the scorer last wrote (see
    churn_known.h). */
#include "churn_known.h"

#include <assert.h>
#include <czmq.h>
#include <stdlib.h>
#include <string.h>

#define S_REASON_SIZE 128

/* One customer's state in its stored binary form. */
typedef struct {
    int64_t revision;                          /* its row's revision */
    size_t history_size;                       /* bytes of the packed history, first */
    size_t lifecycle_sizes[CHURN_RULES_COUNT]; /* bytes of each packed lifecycle, after it */
    unsigned char bytes[];                     /* history, then the lifecycles in rule order */
} s_entry_t;

struct _churn_known_t {
    zhashx_t *entries; /* customer id -> s_entry_t (owned) */
    size_t max;        /* customers kept at most */
};

static void
s_entry_destroy (void **item)
{
    free (*item);
    *item = NULL;
}

churn_known_t *
churn_known_new (size_t max)
{
    assert (max >= 1);
    churn_known_t *self = (churn_known_t *) calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->max = max;
    self->entries = zhashx_new ();
    if (!self->entries) {
        free (self);
        return NULL;
    }
    zhashx_set_destructor (self->entries, s_entry_destroy);
    return self;
}

void
churn_known_destroy (churn_known_t **self_p)
{
    assert (self_p);
    churn_known_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->entries);
    free (self);
    *self_p = NULL;
}

int
churn_known_put (churn_known_t *self, const char *customer, int64_t revision,
                 const churn_history_t *history, const churn_lifecycle_t *states)
{
    assert (self && customer && revision >= 1 && history && history->count >= 1 && states);
    unsigned char packed[CHURN_HISTORY_PACKED_MAX + CHURN_RULES_COUNT * CHURN_LIFECYCLE_PACKED_MAX];
    size_t sizes[CHURN_RULES_COUNT];
    size_t history_size = churn_history_pack (history, packed, sizeof packed);
    assert (history_size > 0); /* CHURN_HISTORY_PACKED_MAX always fits */
    size_t used = history_size;
    for (int rule = 0; rule < CHURN_RULES_COUNT; rule++) {
        sizes[rule] = churn_lifecycle_pack (&states[rule], packed + used, sizeof packed - used);
        assert (sizes[rule] > 0); /* CHURN_LIFECYCLE_PACKED_MAX always fits */
        used += sizes[rule];
    }
    bool kept = zhashx_lookup (self->entries, customer) != NULL;
    s_entry_t *entry = NULL;
    if (kept || zhashx_size (self->entries) < self->max)
        entry = (s_entry_t *) malloc (sizeof *entry + used);
    if (!entry) {
        zhashx_delete (self->entries, customer);
        return -1;
    }
    entry->revision = revision;
    entry->history_size = history_size;
    memcpy (entry->lifecycle_sizes, sizes, sizeof sizes);
    memcpy (entry->bytes, packed, used);
    zhashx_update (self->entries, customer, entry); /* the one kept before destroyed */
    return 0;
}

void
churn_known_forget (churn_known_t *self, const char *customer)
{
    assert (self && customer);
    zhashx_delete (self->entries, customer);
}

bool
churn_known_get (const churn_known_t *self, const char *customer, int64_t revision,
                 churn_alert_store_customer_t *out)
{
    assert (self && customer && out);
    const s_entry_t *entry = (const s_entry_t *) zhashx_lookup (self->entries, customer);
    if (!entry || entry->revision != revision)
        return false;
    churn_alert_store_customer_t state;
    char reason[S_REASON_SIZE];
    memset (&state, 0, sizeof state);
    /* what this kept, it packed: the same bytes a read of the row gives */
    if (churn_history_unpack (&state.history, entry->bytes, entry->history_size, reason,
                              sizeof reason) != 0)
        return false;
    size_t used = entry->history_size;
    for (int rule = 0; rule < CHURN_RULES_COUNT; rule++) {
        if (churn_lifecycle_unpack (&state.states[rule], entry->bytes + used,
                                    entry->lifecycle_sizes[rule], reason, sizeof reason) != 0)
            return false;
        used += entry->lifecycle_sizes[rule];
    }
    state.stored = true;
    state.revision = revision;
    *out = state;
    return true;
}

size_t
churn_known_size (const churn_known_t *self)
{
    assert (self);
    return zhashx_size (self->entries);
}
