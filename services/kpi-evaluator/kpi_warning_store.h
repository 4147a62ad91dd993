/*  kpi_warning_store - KPI pace warnings in PostgreSQL.

    The typed rows of the outbox stream "kpi-warnings" (sp_outbox.h): the
    tables of migrations/0007_kpi_warnings.sql, kpi_warnings, every
    warning under its stream sequence, and kpi_warning_conditions, the
    current state of every (node, kpi, period) that ever fired. The store
    writes a transition only when the stored state differs, in one
    transaction that first claims the stream's next sequence
    (sp_outbox_claim: the stream's head row stays locked until the
    transaction ends). The claim serialises every writer, so sequences
    have no gaps and no duplicates, and several kpi-evaluator instances
    can judge the same data while each transition is written, and so
    published, exactly once: by the instance whose transaction wrote it.

    Readers (salesctl warnings, a subscriber repairing a gap) list the
    current firing set with the newest sequence in one snapshot, or the
    warnings after a sequence. Every function runs on a borrowed
    connection through common/seams/sp_pg.h; none keeps state, so there
    is no object to create.
*/
#ifndef KPI_WARNING_STORE_H_INCLUDED
#define KPI_WARNING_STORE_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "kpi_warning.h"
#include "sp_outbox.h"
#include "sp_outbox_store.h"
#include "sp_pg.h"

/* The outbox stream whose sequence numbers the warnings. */
#define KPI_WARNING_STORE_STREAM "kpi-warnings"

/* Warnings read in one query by kpi_warning_store_after at most. */
#define KPI_WARNING_STORE_PAGE SP_OUTBOX_PAGE_MAX

/* A growable array of warnings (the caller's; clear it when done). */
typedef struct {
    kpi_warning_t *items; /* [count], in sequence order */
    size_t count;         /* warnings held */
    size_t capacity;      /* room allocated */
} kpi_warning_list_t;

/* The stream's tables as sp_outbox_store reads them: listings visit
   kpi_warning_t records (salesctl reads them back through this). */
const sp_outbox_store_t *kpi_warning_store_tables (void);

/* Sets list empty (no memory held). */
void kpi_warning_list_init (kpi_warning_list_t *list);

/* Frees the items and sets list empty. */
void kpi_warning_list_clear (kpi_warning_list_t *list);

/* Writes warning as the new state of its condition (node, kpi, period)
   when the stored state differs (a condition never stored is cleared).
   Returns 1 when written, with warning->sequence and
   warning->created_at_ms set; 0 when the stored state already is
   warning->state (another instance wrote the transition, or a cleared
   warning for a condition that never fired): nothing written; -1 on
   error (rolled back, the reason in error, warning untouched). No
   transaction may be open on pg (asserted). */
int kpi_warning_store_record (sp_pg_t *pg, kpi_warning_t *warning, char *error, size_t error_size);

/* Appends the latest warning of every condition now firing, in sequence
   order, to list, and sets *last_sequence to the newest sequence of any
   warning (0 when none), both from one snapshot. Returns the warnings
   appended, or -1 with the reason in error (list as it was). */
int kpi_warning_store_firing (sp_pg_t *pg, kpi_warning_list_t *list, int64_t *last_sequence,
                              char *error, size_t error_size);

/* Appends to list the warnings with sequence > after, oldest first, at
   most limit (1..KPI_WARNING_STORE_PAGE). Returns the warnings appended
   (fewer than limit: there are no more now), or -1 with the reason in
   error (list as it was). */
int kpi_warning_store_after (sp_pg_t *pg, int64_t after, size_t limit, kpi_warning_list_t *list,
                             char *error, size_t error_size);

#endif
