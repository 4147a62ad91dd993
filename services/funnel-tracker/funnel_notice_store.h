/*  funnel_notice_store - bottleneck notices in PostgreSQL.

    The typed rows of the outbox stream "funnel-notices" (sp_outbox.h):
    the tables of migrations/0004_funnel_notices.sql, funnel_notices,
    every notice under its stream sequence, and funnel_notice_conditions,
    the current state of every condition that ever fired. The store writes
    a transition only when the stored state differs, in one transaction
    that first claims the stream's next sequence (sp_outbox_claim: the
    stream's head row, migrations/0006_outbox.sql, stays locked until the
    transaction ends). The claim serialises every writer, so sequences
    have no gaps and no duplicates, and several funnel-tracker instances
    can evaluate the same data while each transition is written, and so
    published, exactly once: by the instance whose transaction wrote it.

    Readers (salesctl notices, a subscriber repairing a gap) list the
    current firing set with the newest sequence in one snapshot, or the
    notices after a sequence. Every function runs on a borrowed
    connection through common/seams/sp_pg.h; none keeps state, so there is no
    object to create.
*/
#ifndef FUNNEL_NOTICE_STORE_H_INCLUDED
#define FUNNEL_NOTICE_STORE_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "funnel_notice.h"
#include "sp_outbox.h"
#include "sp_outbox_store.h"
#include "sp_pg.h"

/* The outbox stream whose sequence numbers the notices. */
#define FUNNEL_NOTICE_STORE_STREAM "funnel-notices"

/* Notices read in one query by funnel_notice_store_after at most. */
#define FUNNEL_NOTICE_STORE_PAGE SP_OUTBOX_PAGE_MAX

/* A growable array of notices (the caller's; clear it when done). */
typedef struct {
    funnel_notice_t *items; /* [count], in sequence order */
    size_t count;           /* notices held */
    size_t capacity;        /* room allocated */
} funnel_notice_list_t;

/* The stream's tables as sp_outbox_store reads them: listings visit
   funnel_notice_t records (salesctl reads them back through this). */
const sp_outbox_store_t *funnel_notice_store_tables (void);

/* Sets list empty (no memory held). */
void funnel_notice_list_init (funnel_notice_list_t *list);

/* Frees the items and sets list empty. */
void funnel_notice_list_clear (funnel_notice_list_t *list);

/* Writes notice (its state, reason, figures and window) as the new state
   of its condition (funnel, step, scope) when the stored state differs
   (a condition never stored is cleared). Returns 1 when written, with
   notice->sequence and notice->created_at_ms set; 0 when the stored state
   already is notice->state (another instance wrote the transition, or a
   cleared notice for a condition that never fired): nothing written;
   -1 on error (rolled back, the reason in error, notice untouched).
   No transaction may be open on pg (asserted). */
int funnel_notice_store_record (sp_pg_t *pg, funnel_notice_t *notice, char *error,
                                size_t error_size);

/* Appends the latest notice of every condition now firing, in sequence
   order, to list, and sets *last_sequence to the newest sequence of any
   notice (0 when none), both from one snapshot. Returns the notices
   appended, or -1 with the reason in error (list as it was). */
int funnel_notice_store_firing (sp_pg_t *pg, funnel_notice_list_t *list, int64_t *last_sequence,
                                char *error, size_t error_size);

/* Appends to list the notices with sequence > after, oldest first, at
   most limit (1..FUNNEL_NOTICE_STORE_PAGE). Returns the notices appended
   (fewer than limit: there are no more now), or -1 with the reason in
   error (list as it was). */
int funnel_notice_store_after (sp_pg_t *pg, int64_t after, size_t limit, funnel_notice_list_t *list,
                               char *error, size_t error_size);

#endif
