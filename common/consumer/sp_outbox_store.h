/*  sp_outbox_store - the typed rows of an outbox stream whose messages are
    the transitions of conditions (docs/consumer.md, "The outbox").

    Funnel bottleneck notices and KPI pace warnings (and churn alerts
    after them) are condition state machines of one shape: a messages
    table keyed by the stream's sequence (funnel_notices, kpi_warnings),
    and a conditions table holding each condition's current state and the
    sequence of its latest message (funnel_notice_conditions,
    kpi_warning_conditions). This file is what their stores share; the
    owner declares its tables once (sp_outbox_store_t: its SQL, its row
    reader) and keeps what is its own: the columns, the record type, the
    spellings of its states.

    Writing a transition (sp_outbox_store_record) is one transaction:

        BEGIN
        claim the stream's next sequence        (sp_outbox_claim: locks the head)
        read the condition's stored state       (state_sql)
        the same state: ROLLBACK, nothing written (the sequence is given back)
        insert the message under the sequence   (insert_sql)
        upsert the condition                    (condition_sql)
        COMMIT

    Claimed first, so the state read holds every transition committed
    before; two instances deciding the same transition are ordered by the
    head row's lock, and the second finds it written. The caller publishes
    after the commit (sp_outbox_publish).

    Reading back: the latest message of every condition firing now with
    the newest sequence, in one snapshot (sp_outbox_store_firing), or the
    messages after a sequence (sp_outbox_store_after, the page function of
    sp_outbox_read_after). Every row of a result is read into the owner's
    record first (a row that does not read fails the whole listing, with
    nothing handed over), then each is handed to a visitor (print it) or
    appended to the owner's typed list.

    Every function runs on a borrowed connection through sp_pg; none keeps
    state. Error messages name the owner's message ("could not commit the
    notice: ...").
*/
#ifndef SP_OUTBOX_STORE_H_INCLUDED
#define SP_OUTBOX_STORE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp_pg.h"

/* Parameters of an insert statement, the sequence included, at most. */
#define SP_OUTBOX_STORE_PARAMS_MAX 32

/* Parameters naming a condition, at most. */
#define SP_OUTBOX_STORE_KEY_MAX 8

/* Reads row of a listing's result (the owner's columns) into record (the
   owner's type) and sets *sequence. Returns 0, or -1 with the reason. */
typedef int (sp_outbox_store_row_fn) (const sp_pg_result_t *result, int row, void *record,
                                      int64_t *sequence, char *error, size_t error_size);

/* Hands over one message read back: its sequence and the owner's record
   (borrowed for the call). Returns 0, or -1 with the reason (reading
   stops there). */
typedef int (sp_outbox_store_visit_fn) (void *arg, int64_t sequence, const void *record,
                                        char *error, size_t error_size);

/* True when text spells one of the owner's condition states. */
typedef bool (sp_outbox_store_state_fn) (const char *text);

/* A stream's tables, as the owner declares them (a constant). */
typedef struct {
    const char *stream;                    /* the outbox stream numbering the messages */
    const char *noun;                      /* one message, in errors: "notice" */
    const char *nouns;                     /* messages, in errors: "notices" */
    const char *initial;                   /* the state of a condition never stored: "cleared" */
    sp_outbox_store_state_fn *state_known; /* checks a stored state */
    int key_count; /* parameters naming a condition, 1..SP_OUTBOX_STORE_KEY_MAX */
    /* $1..$key_count: the condition's state (one column); no row when never stored */
    const char *state_sql;
    /* $1 the sequence, $2..$insert_count the message's columns; returns
       its created_at in whole ms (one bigint) */
    const char *insert_sql;
    int insert_count; /* parameters of insert_sql, 2..SP_OUTBOX_STORE_PARAMS_MAX */
    /* $1..$key_count the condition, then its new state and the sequence:
       the upsert of the conditions table */
    const char *condition_sql;
    /* no parameters: the listing columns of every message whose condition
       fires now, in sequence order, then the newest sequence of any
       message; one row of NULL listing columns when none fires */
    const char *firing_sql;
    /* $1 after, $2 limit: the listing columns of the messages after a
       sequence, in sequence order */
    const char *after_sql;
    int columns;                      /* listing columns; the sequence is the first */
    size_t record_size;               /* bytes of the owner's record */
    sp_outbox_store_row_fn *read_row; /* reads a listing row into a record */
} sp_outbox_store_t;

/* One transition to write. Strings are borrowed for the call. */
typedef struct {
    const char *const *key;    /* [key_count]: the condition */
    const char *state;         /* its new state, spelt as stored */
    const char *const *values; /* [insert_count - 1]: $2.. of insert_sql */
} sp_outbox_store_transition_t;

/* Writes transition when the condition's stored state differs (a
   condition never stored is in store->initial), in one transaction that
   claims the stream's next sequence first. Returns 1 when written, with
   *sequence and *created_at_ms set; 0 when the stored state already is
   transition->state (nothing written, rolled back); -1 on error (rolled
   back, the reason in error, outputs untouched). No transaction may be
   open on pg (asserted). */
int sp_outbox_store_record (sp_pg_t *pg, const sp_outbox_store_t *store,
                            const sp_outbox_store_transition_t *transition, int64_t *sequence,
                            int64_t *created_at_ms, char *error, size_t error_size);

/* Writes transition inside the caller's open transaction, whatever the
   condition's stored state: claims the stream's next sequence, inserts
   the message under it and upserts the condition (insert_sql,
   condition_sql), with no commit. For owners that decide under a lock of
   their own taken first in the same transaction (churn alerts: a
   customer's row, several transitions per decision); the caller commits
   (or rolls back, giving every sequence back) and publishes after the
   commit. Returns 0 with *sequence and *created_at_ms set, or -1 with
   the reason (the transaction is then to be rolled back). */
int sp_outbox_store_append (sp_pg_t *pg, const sp_outbox_store_t *store,
                            const sp_outbox_store_transition_t *transition, int64_t *sequence,
                            int64_t *created_at_ms, char *error, size_t error_size);

/* Visits the latest message of every condition firing now, in sequence
   order, and sets *last to the newest sequence of any message (0 when
   none), both from one snapshot (*last only on success). Returns the
   messages visited, or -1 with the reason in error. */
int sp_outbox_store_firing (sp_pg_t *pg, const sp_outbox_store_t *store,
                            sp_outbox_store_visit_fn *visit, void *arg, int64_t *last, char *error,
                            size_t error_size);

/* Visits the messages with sequence > after, oldest first, at most limit
   (1..SP_OUTBOX_PAGE_MAX). Returns the messages visited (fewer than
   limit: there are no more now), or -1 with the reason in error. */
int sp_outbox_store_after (sp_pg_t *pg, const sp_outbox_store_t *store, int64_t after, size_t limit,
                           sp_outbox_store_visit_fn *visit, void *arg, char *error,
                           size_t error_size);

/* The storage of an owner's typed list of records (e.g. the items, count
   and capacity of a funnel_notice_list_t), for the appending readers
   below; the array grows as sp_array.h does. */
typedef struct {
    void **items;     /* the array of records of store->record_size bytes */
    size_t *count;    /* records held */
    size_t *capacity; /* room allocated */
} sp_outbox_store_list_t;

/* sp_outbox_store_firing and sp_outbox_store_after appending every
   record to list, in sequence order. Same returns; on failure the list
   holds what it held before. */
int sp_outbox_store_firing_list (sp_pg_t *pg, const sp_outbox_store_t *store,
                                 const sp_outbox_store_list_t *list, int64_t *last, char *error,
                                 size_t error_size);
int sp_outbox_store_after_list (sp_pg_t *pg, const sp_outbox_store_t *store, int64_t after,
                                size_t limit, const sp_outbox_store_list_t *list, char *error,
                                size_t error_size);

/* Copies a text column into buffer of size bytes. Returns 0, or -1 when
   it does not fit (buffer untouched). For the owner's row readers. */
int sp_outbox_store_text (const sp_pg_result_t *result, int row, int column, char *buffer,
                          size_t size);

#endif
