/*  sp_refdata - versioned reference data in PostgreSQL: funnel
    definitions today, org charts, targets, scorecards, health models and
    commission plans next (docs/reference-data.md).

    A document is JSON text of a kind. The kind's owning service validates
    it with its own pure code (sp_refdata_kind_t.check) and gives back its
    name and canonical form; sp_refdata_store keeps the canonical text as
    the next version of (kind, name) in reference_data (migration 0005)
    only when it differs from the latest version's, so loading the same
    document again, however spaced or ordered, changes nothing. Reading
    the latest version and inserting the next happen in one transaction
    under a transaction-scoped advisory lock on (kind, name), so
    concurrent loads queue instead of choosing the same version. The same
    transaction notifies SP_REFDATA_CHANNEL with "kind name version
    revision", delivered to listeners when it commits
    (sp_refdata_watch).

    Every load takes the next revision, a number that orders all loads of
    all kinds. A service describes the definitions it uses by the largest
    revision among its kinds (sp_refdata_revision), and stamps the Redis
    state it builds with it (sp_consumer_revise).

    What a new version does is the kind's choice (change): REBUILD the
    derived state from the log (a funnel), or apply it FORWARD from now on
    (e.g. a plan with an effective date, whose versions the handler picks
    by event time).

    No state of its own beyond the connection it is given; not
    thread-safe.
*/
#ifndef SP_REFDATA_H_INCLUDED
#define SP_REFDATA_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp_pg.h"

/* Notification channel of every load. */
#define SP_REFDATA_CHANNEL "salespulse_reference_data"

/* Sizes, terminator included. */
#define SP_REFDATA_KIND_SIZE 33       /* kind: [a-z][a-z0-9_-]{0,31} */
#define SP_REFDATA_NAME_SIZE 64       /* name: [a-z0-9_-]{1,63} */
#define SP_REFDATA_LOADED_BY_SIZE 129 /* loaded_by: 1..128 bytes */
#define SP_REFDATA_HASH_SIZE 65       /* SHA-256 in lower-case hex */
#define SP_REFDATA_ERROR_SIZE 512     /* room for any message of this module */

/* Most kinds one service or one read asks for. */
#define SP_REFDATA_KINDS_MAX 16

/* What a new version of a kind does to a service's derived state. */
typedef enum {
    SP_REFDATA_REBUILD = 0, /* the state is rebuilt from the log under it */
    SP_REFDATA_FORWARD = 1, /* it applies to events from now on; the state stays */
} sp_refdata_change_t;

/* Validates a document of the kind (text, length bytes, not necessarily
   NUL-terminated): on success writes its name into name and a malloc'd
   canonical JSON text into *canonical (the caller frees) and returns 0;
   otherwise -1 with the reason in error, naming the JSON path of the bad
   value. Pure: no I/O. */
typedef int (sp_refdata_check_fn) (const char *text, size_t length, char *name, size_t name_size,
                                   char **canonical, char *error, size_t error_size);

/* The common end of a kind's check, once its document parsed into the
   kind's object: text is the object's canonical JSON (malloc'd, from its
   to_json; NULL when that ran out of memory) and object_name its name.
   Hands text to *canonical (the caller frees) and copies object_name into
   name (name_size bytes, truncated to fit), returning 0; with text NULL,
   sets *canonical to NULL and returns -1 with the reason in error. The
   kind still frees its object. Pure: no I/O.

   A kind's check is then: parse (x_new), call this with x_to_json (x)
   and x_name (x), destroy x. It takes results rather than the kind's
   functions because calling x_new or x_destroy through a generic
   function-pointer type (void * for x_t *) is undefined behaviour, and
   an adapter per kind would cost more lines than it saves. */
int sp_refdata_check_finish (char *text, const char *object_name, char *name, size_t name_size,
                             char **canonical, char *error, size_t error_size);

/* A kind of reference data, as its owning service defines it. */
typedef struct {
    const char *kind;           /* e.g. "funnel" */
    const char *service;        /* the service that uses it, e.g. "funnel-tracker" */
    sp_refdata_change_t change; /* what a new version does */
    bool effective_dated;       /* versions take an effective date */
    sp_refdata_check_fn *check; /* validation and canonical form */
} sp_refdata_kind_t;

/* One stored version. */
typedef struct {
    char kind[SP_REFDATA_KIND_SIZE];
    char name[SP_REFDATA_NAME_SIZE];
    int64_t version;                           /* 1, 2, ... per (kind, name) */
    int64_t revision;                          /* order among all loads */
    const char *document;                      /* canonical JSON, owned by the set */
    bool has_effective_from;                   /* effective_from is set */
    int64_t effective_from;                    /* UTC ms */
    char loaded_by[SP_REFDATA_LOADED_BY_SIZE]; /* who */
    int64_t loaded_at;                         /* when, UTC ms */
    char sha256[SP_REFDATA_HASH_SIZE];         /* of document */
} sp_refdata_entry_t;

/* Versions read together, ordered by kind, name, version. */
typedef struct _sp_refdata_set_t sp_refdata_set_t;

/* What a store did. */
typedef struct {
    int64_t version;  /* the latest version of (kind, name) afterwards */
    int64_t revision; /* its revision */
    bool changed;     /* this call added it */
} sp_refdata_stored_t;

/* True when kind is a valid kind word, name a valid document name. */
bool sp_refdata_kind_valid (const char *kind);
bool sp_refdata_name_valid (const char *name);

/* Stores canonical as the next version of (kind, name), unless the latest
   version holds the same text (or, with if_absent, unless any version
   exists): see the header comment. effective_from is NULL or an ISO 8601
   date or timestamp PostgreSQL reads as timestamptz (a date without a
   zone is midnight UTC); loaded_by says who. Returns 0, or -1 with the
   reason (rolled back: nothing stored). */
int sp_refdata_store (sp_pg_t *pg, const char *kind, const char *name, const char *canonical,
                      const char *effective_from, const char *loaded_by, bool if_absent,
                      sp_refdata_stored_t *stored, char *error, size_t error_size);

/* Reads the latest version of every document of kinds (count of them),
   or with every_version all versions; with name (may be NULL) only that
   document. Returns the set (possibly empty), or NULL with the reason. */
sp_refdata_set_t *sp_refdata_read (sp_pg_t *pg, const char *const *kinds, size_t count,
                                   const char *name, bool every_version, char *error,
                                   size_t error_size);

/* The largest revision among every version of kinds; 0 when none is
   stored. Returns 0, or -1 with the reason. */
int sp_refdata_revision (sp_pg_t *pg, const char *const *kinds, size_t count, int64_t *revision,
                         char *error, size_t error_size);

void sp_refdata_set_destroy (sp_refdata_set_t **self_p);

/* Entries of the set, and the one at index (< size, asserted). */
size_t sp_refdata_set_size (const sp_refdata_set_t *self);
const sp_refdata_entry_t *sp_refdata_set_entry (const sp_refdata_set_t *self, size_t index);

/* The largest revision in the set, 0 when empty. */
int64_t sp_refdata_set_revision (const sp_refdata_set_t *self);

#endif
