/*  sp_refdata_watch - brings a newly loaded version of a service's
    reference data to the running service, within seconds and without a
    restart (docs/reference-data.md, "Live changes").

    The watcher keeps its own PostgreSQL session that LISTENs on
    SP_REFDATA_CHANNEL. Every SP_REFDATA_WATCH_DRAIN_MS it reads what the
    server sent without waiting (no round trip); a notification naming one
    of the service's kinds with a revision above the one in use makes it
    read the current revision of those kinds. As a safety net against a
    notification that never arrived (the session was cut while a load
    committed, a server restart), it also reads that revision every
    check_ms, and after every reconnect, where it LISTENs again. When the
    revision read differs from the one in use, it calls changed(arg,
    revision): the service loads the new versions, makes them its own
    (for a consumer: sp_consumer_revise) and returns 0; on -1 the watcher
    tries again at the next check.

    Runs on the service's reactor (two timers); PostgreSQL calls are short
    reads on a session of their own, made with one connection attempt per
    check so an outage never holds the reactor. Not thread-safe.

    Metrics: salespulse_reference_data_revision (in use),
    salespulse_reference_data_changes_total (changes made),
    salespulse_reference_data_checks_total{trigger} (notify|periodic|
    reconnect|asked).
*/
#ifndef SP_REFDATA_WATCH_H_INCLUDED
#define SP_REFDATA_WATCH_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "sp_service.h"

/* How often received notifications are read, ms (no I/O when none). */
#define SP_REFDATA_WATCH_DRAIN_MS 100

/* The service setting for the safety-net check: append to a service's
   option table. */
#define SP_REFDATA_WATCH_OPTIONS                                                                   \
    {                                                                                              \
        "definitions-check-ms", "SP_DEFINITIONS_CHECK_MS", SP_CONFIG_INT, "5000",                  \
            "how often the reference data revision is read even without a notification, ms", 100,  \
            3600000                                                                                \
    }

typedef struct _sp_refdata_watch_t sp_refdata_watch_t;

/* Makes the versions of revision the service's own; 0, or -1 (logged) to
   be called again at the next check. */
typedef int (sp_refdata_watch_fn) (void *arg, int64_t revision);

/* Watches kinds (count of them, copied) for service, whose definitions
   are at revision now; checks every check_ms. Returns NULL with the
   reason when the watcher cannot be set up (no memory, bad kinds, the
   reactor refused a timer). A PostgreSQL that is down is not a reason:
   the watcher connects at its next check. */
sp_refdata_watch_t *sp_refdata_watch_new (sp_service_t *service, const char *const *kinds,
                                          size_t count, int64_t revision, int check_ms,
                                          sp_refdata_watch_fn *changed, void *arg, char *error,
                                          size_t error_size);

/* Removes its timers, closes its session, frees; no-op on NULL. */
void sp_refdata_watch_destroy (sp_refdata_watch_t **self_p);

/* Checks the revision at the next reactor turn. Shaped as an
   sp_consumer_behind_fn, the watch its arg: a consumer that finds state
   stamped newer than its revision (another instance took newer
   definitions first) has the watch look for them at once:

       sp_consumer_on_behind (consumer, sp_refdata_watch_behind, watch);
*/
void sp_refdata_watch_behind (void *self, int64_t stored_revision);

/* The revision in use. */
int64_t sp_refdata_watch_revision (const sp_refdata_watch_t *self);

#endif
