/*  sp_outbox_store - the typed rows of a stream of condition transitions
    (see sp_outbox_store.h). */
#include "sp_outbox_store.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_array.h"
#include "sp_error.h"
#include "sp_outbox.h"

/* Room for an int64 in decimal with its sign and NUL. */
#define S_NUMBER_SIZE 24

/* Records a list holds room for at first. */
#define S_LIST_INITIAL 16

/* Runs sql; its result, or NULL with the reason in error when it failed. */
static sp_pg_result_t *
s_exec (sp_pg_t *pg, const char *what, const char *noun, const char *sql, int count,
        const char *const *values, char *error, size_t error_size)
{
    sp_pg_result_t *result = sp_pg_exec (pg, sql, count, values, NULL, NULL);
    if (!sp_pg_result_ok (result)) {
        sp_error_set (error, error_size, "could not %s%s: %s", what, noun,
                      sp_pg_result_error (result));
        sp_pg_result_destroy (&result);
    }
    return result;
}

/* Asserts a write's arguments. */
static void
s_check (const sp_pg_t *pg, const sp_outbox_store_t *store,
         const sp_outbox_store_transition_t *transition, const int64_t *sequence,
         const int64_t *created_at_ms)
{
    assert (pg && store && transition && sequence && created_at_ms);
    assert (store->key_count >= 1 && store->key_count <= SP_OUTBOX_STORE_KEY_MAX);
    assert (store->insert_count >= 2 && store->insert_count <= SP_OUTBOX_STORE_PARAMS_MAX);
    assert (transition->key && transition->state && transition->values);
}

/* Inserts the message under sequence and moves its condition there. */
static int
s_insert (sp_pg_t *pg, const sp_outbox_store_t *store,
          const sp_outbox_store_transition_t *transition, const char *sequence,
          int64_t *created_at_ms, char *error, size_t error_size)
{
    const char *values[SP_OUTBOX_STORE_PARAMS_MAX];
    values[0] = sequence;
    for (int index = 1; index < store->insert_count; index++)
        values[index] = transition->values[index - 1];
    sp_pg_result_t *result = s_exec (pg, "insert the ", store->noun, store->insert_sql,
                                     store->insert_count, values, error, error_size);
    if (!result)
        return -1;
    if (sp_pg_result_rows (result) != 1 || sp_pg_result_int64 (result, 0, 0, created_at_ms) != 0) {
        sp_error_set (error, error_size, "the %s insert returned no creation time", store->noun);
        sp_pg_result_destroy (&result);
        return -1;
    }
    sp_pg_result_destroy (&result);
    const char *condition[SP_OUTBOX_STORE_KEY_MAX + 2];
    for (int index = 0; index < store->key_count; index++)
        condition[index] = transition->key[index];
    condition[store->key_count] = transition->state;
    condition[store->key_count + 1] = sequence;
    result = s_exec (pg, "update the condition", "", store->condition_sql, store->key_count + 2,
                     condition, error, error_size);
    if (!result)
        return -1;
    sp_pg_result_destroy (&result);
    return 0;
}

int
sp_outbox_store_record (sp_pg_t *pg, const sp_outbox_store_t *store,
                        const sp_outbox_store_transition_t *transition, int64_t *sequence,
                        int64_t *created_at_ms, char *error, size_t error_size)
{
    s_check (pg, store, transition, sequence, created_at_ms);
    assert (!sp_pg_in_transaction (pg));
    int rc = -1;
    sp_pg_result_t *result = NULL;
    if (sp_pg_begin (pg) != 0) {
        sp_error_set (error, error_size, "could not begin a transaction: %s",
                      *sp_pg_error (pg) ? sp_pg_error (pg) : "postgresql refused");
        return -1;
    }
    /* Claimed first: the stream's head row stays locked until the end, so
       the state read below holds every transition committed before. */
    int64_t claimed = 0;
    if (sp_outbox_claim (pg, store->stream, &claimed, error, error_size) != 0)
        goto out_rollback;
    result = s_exec (pg, "read the condition's state", "", store->state_sql, store->key_count,
                     transition->key, error, error_size);
    if (!result)
        goto out_rollback;
    const char *stored = store->initial;
    if (sp_pg_result_rows (result) > 0) {
        stored = sp_pg_result_value (result, 0, 0);
        if (!store->state_known (stored)) {
            sp_error_set (error, error_size, "condition holds an unknown state \"%s\"", stored);
            goto out_rollback;
        }
    }
    bool unchanged = strcmp (stored, transition->state) == 0;
    sp_pg_result_destroy (&result);
    if (unchanged) {
        rc = 0;
        goto out_rollback;
    }
    char sequence_text[S_NUMBER_SIZE];
    snprintf (sequence_text, sizeof sequence_text, "%" PRId64, claimed);
    int64_t created = 0;
    if (s_insert (pg, store, transition, sequence_text, &created, error, error_size) != 0)
        goto out_rollback;
    if (sp_pg_commit (pg) != 0) {
        /* sp_pg_commit ends the transaction either way */
        sp_error_set (error, error_size, "could not commit the %s: %s", store->noun,
                      *sp_pg_error (pg) ? sp_pg_error (pg) : "transaction failed");
        return -1;
    }
    *sequence = claimed;
    *created_at_ms = created;
    return 1;

out_rollback:
    sp_pg_result_destroy (&result);
    sp_pg_rollback (pg);
    return rc;
}

int
sp_outbox_store_append (sp_pg_t *pg, const sp_outbox_store_t *store,
                        const sp_outbox_store_transition_t *transition, int64_t *sequence,
                        int64_t *created_at_ms, char *error, size_t error_size)
{
    s_check (pg, store, transition, sequence, created_at_ms);
    assert (sp_pg_in_transaction (pg));
    int64_t claimed = 0;
    if (sp_outbox_claim (pg, store->stream, &claimed, error, error_size) != 0)
        return -1;
    char sequence_text[S_NUMBER_SIZE];
    snprintf (sequence_text, sizeof sequence_text, "%" PRId64, claimed);
    int64_t created = 0;
    if (s_insert (pg, store, transition, sequence_text, &created, error, error_size) != 0)
        return -1;
    *sequence = claimed;
    *created_at_ms = created;
    return 0;
}

/* Reads every row of a listing, then visits each: a row that does not
   read leaves nothing visited. Returns the rows visited, or -1 with the
   reason. */
static int
s_visit_rows (const sp_pg_result_t *result, const sp_outbox_store_t *store,
              sp_outbox_store_visit_fn *visit, void *arg, char *error, size_t error_size)
{
    int rows = sp_pg_result_rows (result);
    if (rows == 0)
        return 0;
    unsigned char *records = calloc ((size_t) rows, store->record_size);
    int64_t *sequences = calloc ((size_t) rows, sizeof *sequences);
    int visited = -1;
    if (!records || !sequences) {
        sp_error_set (error, error_size, "out of memory reading %s", store->nouns);
        goto out_free;
    }
    for (int row = 0; row < rows; row++)
        if (store->read_row (result, row, records + (size_t) row * store->record_size,
                             &sequences[row], error, error_size) != 0)
            goto out_free;
    for (visited = 0; visited < rows; visited++)
        if (visit (arg, sequences[visited], records + (size_t) visited * store->record_size, error,
                   error_size) != 0) {
            visited = -1;
            break;
        }
out_free:
    free (sequences);
    free (records);
    return visited;
}

int
sp_outbox_store_firing (sp_pg_t *pg, const sp_outbox_store_t *store,
                        sp_outbox_store_visit_fn *visit, void *arg, int64_t *last, char *error,
                        size_t error_size)
{
    assert (pg && store && visit && last);
    sp_pg_result_t *result = sp_pg_exec (pg, store->firing_sql, 0, NULL, NULL, NULL);
    if (!sp_pg_result_ok (result)) {
        sp_error_set (error, error_size, "could not read the firing %s: %s", store->nouns,
                      sp_pg_result_error (result));
        sp_pg_result_destroy (&result);
        return -1;
    }
    int visited = -1;
    int64_t newest = 0;
    if (sp_pg_result_rows (result) < 1 ||
        sp_pg_result_int64 (result, 0, store->columns, &newest) != 0) {
        sp_error_set (error, error_size, "could not read the newest %s sequence", store->noun);
        goto out_destroy_result;
    }
    /* No condition firing: one row of NULL listing columns. */
    if (sp_pg_result_is_null (result, 0, 0))
        visited = 0;
    else
        visited = s_visit_rows (result, store, visit, arg, error, error_size);
    if (visited >= 0)
        *last = newest;

out_destroy_result:
    sp_pg_result_destroy (&result);
    return visited;
}

int
sp_outbox_store_after (sp_pg_t *pg, const sp_outbox_store_t *store, int64_t after, size_t limit,
                       sp_outbox_store_visit_fn *visit, void *arg, char *error, size_t error_size)
{
    assert (pg && store && visit);
    assert (limit >= 1 && limit <= SP_OUTBOX_PAGE_MAX);
    char after_text[S_NUMBER_SIZE], limit_text[S_NUMBER_SIZE];
    snprintf (after_text, sizeof after_text, "%" PRId64, after);
    snprintf (limit_text, sizeof limit_text, "%zu", limit);
    sp_pg_result_t *result = sp_pg_exec (pg, store->after_sql, 2,
                                         (const char *[]){ after_text, limit_text }, NULL, NULL);
    if (!sp_pg_result_ok (result)) {
        sp_error_set (error, error_size, "could not read the %s after %" PRId64 ": %s",
                      store->nouns, after, sp_pg_result_error (result));
        sp_pg_result_destroy (&result);
        return -1;
    }
    int visited = s_visit_rows (result, store, visit, arg, error, error_size);
    sp_pg_result_destroy (&result);
    return visited;
}

/* Where s_append appends. */
typedef struct {
    const sp_outbox_store_t *store;     /* record size, nouns */
    const sp_outbox_store_list_t *list; /* the owner's storage */
} s_appender_t;

/* sp_outbox_store_visit_fn: appends the record to the list (arg an
   s_appender_t). */
static int
s_append (void *arg, int64_t sequence, const void *record, char *error, size_t error_size)
{
    (void) sequence;
    const s_appender_t *appender = (const s_appender_t *) arg;
    const sp_outbox_store_list_t *list = appender->list;
    size_t size = appender->store->record_size;
    if (sp_array_reserve (list->items, list->capacity, *list->count + 1, size, S_LIST_INITIAL) !=
        0) {
        sp_error_set (error, error_size, "out of memory reading %s", appender->store->nouns);
        return -1;
    }
    memcpy ((unsigned char *) *list->items + *list->count * size, record, size);
    (*list->count)++;
    return 0;
}

int
sp_outbox_store_firing_list (sp_pg_t *pg, const sp_outbox_store_t *store,
                             const sp_outbox_store_list_t *list, int64_t *last, char *error,
                             size_t error_size)
{
    assert (list && list->items && list->count && list->capacity);
    size_t count = *list->count;
    s_appender_t appender = { .store = store, .list = list };
    int appended = sp_outbox_store_firing (pg, store, s_append, &appender, last, error, error_size);
    if (appended < 0)
        *list->count = count;
    return appended;
}

int
sp_outbox_store_after_list (sp_pg_t *pg, const sp_outbox_store_t *store, int64_t after,
                            size_t limit, const sp_outbox_store_list_t *list, char *error,
                            size_t error_size)
{
    assert (list && list->items && list->count && list->capacity);
    size_t count = *list->count;
    s_appender_t appender = { .store = store, .list = list };
    int appended =
        sp_outbox_store_after (pg, store, after, limit, s_append, &appender, error, error_size);
    if (appended < 0)
        *list->count = count;
    return appended;
}

int
sp_outbox_store_text (const sp_pg_result_t *result, int row, int column, char *buffer, size_t size)
{
    assert (result && buffer && size > 0);
    const char *value = sp_pg_result_value (result, row, column);
    if (strlen (value) >= size)
        return -1;
    snprintf (buffer, size, "%s", value);
    return 0;
}
